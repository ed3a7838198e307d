// Release to the head waiter's grant: how long the GPU a release frees stays idle while someone waits
// (issue #11's target: under 100 ms on either store). One process, two connections to the store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Store, systemClock } from '../src/domain/ports.js';
import type { Grant } from '../src/pool/pool-service.js';
import { allocateWaiting } from '../src/pool/queue-waiter.js';
import { openStore } from '../src/store/open.js';
import { idlePool } from '../support/idle-pool.js';

const poolOn = (store: Store) => idlePool(store, 1);
let n = 0;
const grant = (): Grant => ({ count: 1, user: 'bench', type: 'run', durationMs: null, token: `h${++n}`, owner: null });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Handover {
  medianMs: number;
  p99Ms: number;
}

/** `rounds` hand-overs of a 1-GPU pool on the store at `url` (set up here), release to grant. */
export async function measureHandover(url: string, rounds = 50): Promise<Handover> {
  const admin = await openStore(url, { create: true });
  await admin.initialize(1, true, Date.now());
  await admin.close();
  const holderStore = await openStore(url, { reconnect: true });
  const waiterStore = await openStore(url, { reconnect: true });
  const holder = poolOn(holderStore);
  const waiter = poolOn(waiterStore);
  const times: number[] = [];
  try {
    for (let i = 0; i < rounds; i++) {
      const held = grant();
      await holder.allocate(held);
      const wanted = grant();
      let grantedAt = 0;
      const waiting = allocateWaiting(waiter, wanted, { clock: systemClock, until: null }).then(() => {
        grantedAt = performance.now();
      });
      while ((await holderStore.queue!.waiters()).length === 0) await sleep(2);
      await sleep(20); // the waiter is asleep in its wait for a change
      await holder.releaseToken(held.token);
      // From the release's commit (its own write, slow on a loaded disk, is not the queue's doing).
      const releasedAt = performance.now();
      await waiting;
      times.push(Math.max(0, grantedAt - releasedAt));
      await waiter.releaseToken(wanted.token);
    }
  } finally {
    await holderStore.close();
    await waiterStore.close();
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.ceil(q * times.length) - 1)]!;
  return { medianMs: at(0.5), p99Ms: at(0.99) };
}

/** The SQLite figure on a file of its own. */
export async function measureSqliteHandover(rounds = 50): Promise<Handover> {
  const dir = mkdtempSync(join(tmpdir(), 'canhazgpu-handover-'));
  try {
    return await measureHandover(join(dir, 'state.db'), rounds);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
