// A private store served on the agent's socket inside the test process: callers are whoever the test says
// (the kernel names them in production), the clock and the owners' processes are the test's.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { ProbeUnavailableError, type ReadingStore, type Store } from '../src/domain/ports.js';
import { PoolService } from '../src/pool/pool-service.js';
import { QueueJudge } from '../src/pool/queue-judge.js';
import { agentSocketOf } from '../src/store/agent/socket-path.js';
import { type Caller, StoreGate } from '../src/store/agent/store-gate.js';
import { serveStoreSocket } from '../src/store/agent/store-socket.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';

export const AGENT_HOST = 'this-host';
export const trusted: Caller = { uid: 0, user: 'root', trusted: true };
export const alice: Caller = { uid: 1000, user: 'alice', trusted: false };
export const bob: Caller = { uid: 1001, user: 'bob', trusted: false };

/** The agent's queue judge on `store` at the test's clock; it reads no GPUs (every GPU counts as present and idle). */
export function judgeOn(store: Store, clockNow: () => number): QueueJudge {
  const unread = async (): Promise<never> => {
    throw new ProbeUnavailableError('no GPUs to read here');
  };
  return new QueueJudge(
    new PoolService({
      store,
      probe: { toolName: 'nvidia-smi', probe: unread },
      clock: { now: clockNow },
      owners: { state: () => 'unknown' },
      staleAfterMs: 300_000,
      inUseThresholdMb: 1024,
    }),
  );
}

/** The agent's gate over `store` at the test's clock, owners unknown, this host AGENT_HOST. */
export function gateOn(
  store: Store & ReadingStore,
  clockNow: () => number,
  processUid = (_pid: number) => 1000 as number | null,
  poolHost?: string,
): StoreGate {
  return new StoreGate({
    poolHost,
    store,
    clock: { now: clockNow },
    owners: { state: () => 'unknown' },
    staleAfterMs: 300_000,
    host: AGENT_HOST,
    processUid,
    judge: judgeOn(store, clockNow),
  });
}

const dir = mkdtempSync(join(tmpdir(), 'canhazgpu-agent-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

/** A private store served on its socket, the n-th connection to callers `who(n)` names; its path and a closer. */
export async function served(
  who: (n: number) => Caller,
  clockNow: () => number,
  processUid = (_pid: number) => 1000 as number | null,
  historyRetentionMs?: number,
) {
  const path = join(dir, `private-${++n}.db`);
  const store = SqliteStore.create(path, { private: true, historyRetentionMs });
  const close = await gateOnSocket(agentSocketOf(path), store, gateOn(store, clockNow, processUid), who);
  return { path, store, close };
}

/** `gate` (over `store`) served at `socketPath`, its n-th connection's caller `who(n)`; the closer stops both. */
export async function gateOnSocket(
  socketPath: string,
  store: Store,
  gate: StoreGate,
  who: (n: number) => Caller,
): Promise<() => Promise<void>> {
  let connections = 0;
  const socket = await serveStoreSocket({
    path: socketPath,
    gate,
    identify: async () => who(connections++),
    log: () => {},
  });
  return async () => {
    await socket.close();
    await store.close();
  };
}
