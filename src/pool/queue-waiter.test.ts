// The wait queue through the pool service, each "process" a connection of its own to one SQLite file:
// strict order under a mix of sizes, no starvation, backfill, ghosts, giving up and leaving.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { CanhazError, HeldForQueueError } from '../domain/errors.js';
import { systemClock } from '../domain/ports.js';
import type { QueueEntry } from '../domain/queue.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { idlePool } from '../../support/idle-pool.js';
import type { Grant, PoolService } from './pool-service.js';
import { allocateWaiting, WaitTimedOutError } from './queue-waiter.js';

const dir = mkdtempSync(join(tmpdir(), 'canhazgpu-queue-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
let tokens = 0;

/** A pool of `size` idle GPUs in a new file; `connect()` is one more process on it. */
async function setup(size = 4) {
  const path = join(dir, `q-${++files}.db`);
  const admin = SqliteStore.create(path);
  await admin.initialize(size, false, Date.now());
  await admin.close();
  const opened: SqliteStore[] = [];
  const connect = () => {
    const store = SqliteStore.open(path, { longLived: true });
    opened.push(store);
    return idlePool(store, size);
  };
  after(async () => {
    for (const s of opened) await s.close();
  });
  return { connect };
}
const run = (count: number, over: Partial<Grant> = {}): Grant => ({
  count,
  user: 'alice',
  type: 'run',
  durationMs: null,
  token: `t${++tokens}`,
  owner: null,
  ...over,
});
const manual = (count: number, durationMs: number, user = 'bob'): Grant => ({
  ...run(count, { user }),
  type: 'manual',
  durationMs,
});
const until = (ms: number) => systemClock.now() + ms;
const waitQueued = async (pool: PoolService, n: number) => {
  for (let i = 0; i < 500 && (await pool.store.queue!.waiters()).length !== n; i++)
    await new Promise((r) => setTimeout(r, 5));
  assert.equal((await pool.store.queue!.waiters()).length, n);
};

test('waiters are served strictly in arrival order under a mix of sizes, and a 4-GPU head is never starved', async () => {
  const { connect } = await setup(4);
  const holder = connect();
  const held = await Promise.all([0, 1, 2, 3].map(() => holder.allocate(run(1))));
  const holds = held.map((ids, i) => ({ ids, token: `t${tokens - 3 + i}` }));
  const order: string[] = [];
  const wait = (name: string, count: number) =>
    allocateWaiting(connect(), run(count, { user: name }), { clock: systemClock, until: null }).then((ids) => {
      order.push(name);
      return ids;
    });
  const a = wait('a-4gpus', 4);
  await waitQueued(holder, 1);
  const b = wait('b-1gpu', 1);
  await waitQueued(holder, 2);
  const c = wait('c-2gpus', 2);
  await waitQueued(holder, 3);
  // GPUs come back one by one while 1-GPU requests keep arriving: none of them takes one.
  for (const hold of holds.slice(0, 3)) {
    await holder.releaseToken(hold.token);
    await assert.rejects(holder.allocate(run(1)), HeldForQueueError);
  }
  assert.deepEqual(order, []);
  await holder.releaseToken(holds[3]!.token);
  assert.deepEqual(await a, [0, 1, 2, 3]);
  assert.deepEqual(order, ['a-4gpus']);
  assert.deepEqual(
    (await holder.store.queue!.waiters()).map((w) => w.user),
    ['b-1gpu', 'c-2gpus'],
  );
  // a's GPUs come back: b and c fit side by side, on GPUs of their own.
  const aToken = (await holder.active())[0]!.token!;
  await holder.releaseToken(aToken);
  const [bIds, cIds] = await Promise.all([b, c]);
  assert.equal(new Set([...bIds, ...cIds]).size, 3);
  assert.deepEqual(await holder.store.queue!.waiters(), []);
});

test('backfill: a manual reservation ending before the head can start goes ahead, and the queue keeps a note of it', async () => {
  const { connect } = await setup(3);
  const pool = connect();
  await pool.allocate(manual(1, 3_600_000, 'carol')); // GPU 0 until an hour from now
  const head = allocateWaiting(connect(), run(3), { clock: systemClock, until: until(2_000) });
  await waitQueued(pool, 1);
  await assert.rejects(pool.allocate(manual(1, 2 * 3_600_000)), HeldForQueueError, 'ends after the head could start');
  await assert.rejects(pool.allocate(run(1)), HeldForQueueError, 'a run declares no end');
  assert.deepEqual(await pool.allocate(manual(1, 30 * 60_000)), [1]);
  const [note] = await pool.store.queue!.backfills();
  assert.equal(note?.user, 'bob');
  assert.deepEqual(note?.gpus, [1]);
  assert.equal(note?.passed, (await pool.store.queue!.waiters())[0]!.id);
  await assert.rejects(head, WaitTimedOutError);
});

test('a ghost waiter (no heartbeat for seconds) is dropped and blocks nobody', async () => {
  const { connect } = await setup(2);
  const pool = connect();
  const ghost: QueueEntry = {
    id: 'ghost',
    user: 'dave',
    actualUser: 'dave',
    count: 2,
    requestedIds: null,
    type: 'run',
    durationMs: null,
    note: null,
    enqueuedAt: Date.now() - 60_000,
    lastHeartbeat: Date.now() - 8_000,
    waitUntil: null,
    ours: true,
  };
  await pool.store.queue!.enqueue(ghost);
  assert.deepEqual(await pool.allocate(run(1)), [0]);
  assert.deepEqual(await pool.store.queue!.waiters(), []);
});

test('a wait that runs out fails with one line, holds nothing and leaves the queue', async () => {
  const { connect } = await setup(1);
  const pool = connect();
  await pool.allocate(run(1));
  const started = Date.now();
  await assert.rejects(
    allocateWaiting(connect(), run(1), { clock: systemClock, until: until(150) }),
    /^WaitTimedOutError: Gave up waiting for 1 GPU after 0h 0m 0s \(position 1 in queue\); nothing is held$/,
  );
  assert.ok(Date.now() - started < 1_000);
  assert.deepEqual(await pool.store.queue!.waiters(), []);
  assert.equal((await pool.active()).length, 1);
});

test('a store that judges the queue itself and refuses (an agent): one look more, then its refusal is the answer', async () => {
  const { connect } = await setup(2);
  const pool = connect();
  let asked = 0;
  pool.store.allocate = async () => {
    asked++;
    throw new HeldForQueueError(1, 0, 2, 1);
  };
  await assert.rejects(pool.allocate(run(1)), HeldForQueueError);
  assert.equal(asked, 2, 'not a loop');
  // A waiter told so waits on (its place kept), as for any turn not yet come, instead of failing.
  asked = 0;
  await assert.rejects(
    allocateWaiting(pool, run(1), { clock: systemClock, until: until(150), pollMs: 20 }),
    WaitTimedOutError,
  );
  assert.ok(asked >= 2);
  assert.deepEqual(await pool.store.queue!.waiters(), []);
});

test('aborting a wait (Ctrl-C) leaves the queue at once', async () => {
  const { connect } = await setup(1);
  const pool = connect();
  await pool.allocate(run(1));
  const controller = new AbortController();
  const waiting = allocateWaiting(connect(), run(1), { clock: systemClock, until: null, signal: controller.signal });
  await waitQueued(pool, 1);
  const asked = Date.now();
  controller.abort(new Error('SIGINT'));
  await assert.rejects(waiting, /SIGINT/);
  assert.ok(Date.now() - asked < 200);
  assert.deepEqual(await pool.store.queue!.waiters(), []);
});

test('a request that can never be met fails at once and is never queued', async () => {
  const { connect } = await setup(4);
  const pool = connect();
  await assert.rejects(
    allocateWaiting(pool, run(5), { clock: systemClock, until: null }),
    (err: Error) =>
      err instanceof CanhazError && /Cannot wait for 5 GPUs: this machine's pool has 4 usable GPUs/.test(err.message),
  );
  assert.deepEqual(await pool.store.queue!.waiters(), []);
});

test('a waiter for exact ids waits for exactly those; an id beyond the pool fails at once', async () => {
  const { connect } = await setup(4);
  const pool = connect();
  const held = run(1, { only: [2] });
  assert.deepEqual(await pool.allocate(held), [2]);
  await assert.rejects(
    allocateWaiting(pool, run(2, { only: [1, 7] }), { clock: systemClock, until: null }),
    /^CanhazError: GPU ID 7 is out of range \(0-3\)$/,
  );
  const exact = allocateWaiting(connect(), run(2, { only: [1, 2] }), { clock: systemClock, until: null });
  await waitQueued(pool, 1);
  assert.deepEqual(await pool.allocate(run(2)), [0, 3], 'the others are free to take');
  await pool.releaseToken(held.token);
  assert.deepEqual(await exact, [1, 2]);
});
