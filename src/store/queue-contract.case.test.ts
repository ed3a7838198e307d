// The wait queue's part of the store contract (contract.case.test.ts runs it for every backend).
import assert from 'node:assert/strict';
import type { AllocationRequest } from '../domain/allocation.js';
import { QueueChangedError } from '../domain/errors.js';
import { defaultLiveness } from '../domain/liveness.js';
import type { QueueStore, ReadingStore, Store } from '../domain/ports.js';
import type { QueueEntry } from '../domain/queue.js';
import { openStore } from './open.js';

type It = (title: string, fn: (store: Store & ReadingStore) => Promise<void>) => void;

const T0 = 1_800_000_000_000;
/** Alice's waiter for 2 GPUs for an hour, queued at T0. */
export const entry = (id: string, over: Partial<QueueEntry> = {}): QueueEntry => ({
  id,
  user: 'alice',
  actualUser: 'alice',
  count: 2,
  requestedIds: null,
  type: 'manual',
  durationMs: 3_600_000,
  note: null,
  enqueuedAt: T0,
  lastHeartbeat: T0,
  waitUntil: null,
  ours: true,
  ...over,
});
const grant = (over: Partial<AllocationRequest>): AllocationRequest => ({
  count: 1,
  user: 'bob',
  type: 'run',
  now: T0,
  expiryTime: null,
  inUse: [],
  token: 'grant',
  owner: null,
  liveness: defaultLiveness(),
  ...over,
});
const queueOf = (store: Store): QueueStore => {
  assert.ok(store.queue, 'every store keeps a wait queue');
  return store.queue;
};

/** A second handle on the store's pool, as another process would open it. */
function openAnother(store: Store): Promise<Store> {
  // A fleet's host names its own pool.
  const host = (store as { host?: string }).host;
  return openStore(store.location, host === undefined ? {} : { host });
}

export function queueContractCases(it: It, another: (store: Store) => Promise<Store> = openAnother): void {
  it('queue: waiters come back in arrival order with every field; a heartbeat refreshes one; leaving removes it', async (store) => {
    const queue = queueOf(store);
    assert.deepEqual(await queue.waiters(), []);
    const b = entry('b', {
      enqueuedAt: T0 + 1,
      requestedIds: [1, 3],
      count: 2,
      note: 'eval run',
      waitUntil: T0 + 60_000,
    });
    const a = entry('a', { type: 'run', durationMs: null, user: 'carol', actualUser: 'carol' });
    const c = entry('c', { enqueuedAt: T0 + 1 });
    for (const e of [b, c, a]) await queue.enqueue(e);
    assert.deepEqual(await queue.waiters(), [a, b, c]);
    assert.equal(await queue.beat('b', T0 + 5_000), true);
    assert.equal((await queue.waiters())[1]!.lastHeartbeat, T0 + 5_000);
    await queue.leave(['b', 'nobody']);
    assert.deepEqual(
      (await queue.waiters()).map((e) => e.id),
      ['a', 'c'],
    );
    assert.equal(await queue.beat('b', T0 + 6_000), false, 'a waiter removed (as a ghost) is told so');
    assert.deepEqual(
      (await queue.waiters()).map((e) => e.id),
      ['a', 'c'],
      'and not brought back',
    );
  });

  it('queue: an allocation grants only while the queue holds what the caller saw', async (store) => {
    await store.initialize(4, false, T0);
    const queue = queueOf(store);
    await queue.enqueue(entry('w1'));
    await assert.rejects(store.allocate(grant({ queueSeen: [] })), QueueChangedError);
    await assert.rejects(store.allocate(grant({ queueSeen: ['w1', 'w2'] })), QueueChangedError);
    const { slots } = await store.snapshot();
    assert.ok(
      slots.every((s) => s.reservation === null),
      'nothing granted',
    );
    assert.deepEqual(await store.allocate(grant({ queueSeen: ['w1'] })), [0]);
    assert.deepEqual(
      (await queue.waiters()).map((e) => e.id),
      ['w1'],
      'a request that does not wait leaves the waiters as they are',
    );
    assert.deepEqual(await store.allocate(grant({ queueSeen: ['w1'], token: 'w1', count: 2 })), [1, 2]);
    assert.deepEqual(await queue.waiters(), [], 'a waiter granted leaves the queue in the same step');
    assert.deepEqual(await store.allocate(grant({ queueSeen: [], token: 'g2' })), [3]);
  });

  it('queue: backfills are kept for the waiter passed', async (store) => {
    const queue = queueOf(store);
    await queue.enqueue(entry('head'));
    const b = { passed: 'head', user: 'bob', gpus: [0, 2], at: T0, until: T0 + 600_000 };
    await queue.recordBackfill(b);
    assert.deepEqual(await queue.backfills(), [b]);
  });

  it('queue: a waiter hears of a release by another process within milliseconds, and of nothing else', async (store) => {
    await store.initialize(2, false, T0);
    await store.allocate(grant({ token: 'held', count: 2 }));
    const other = await another(store);
    try {
      const queue = queueOf(store);
      const quiet = Date.now();
      await queue.changed(60);
      assert.ok(Date.now() - quiet >= 55, 'without a change it waits its time');
      // Other waiters' heartbeats (every 2 s each) wake nobody: only who holds and who waits does.
      await other.queue!.enqueue(entry('beating', { lastHeartbeat: Date.now() }));
      await queue.changed(1); // the waiter's look at the queue it joined: heard now, or at once (SQLite)
      const beats = Date.now();
      const beaten = queue.changed(150);
      await other.queue!.beat('beating', Date.now());
      await beaten;
      assert.ok(Date.now() - beats >= 140, 'a heartbeat is no change');
      const started = Date.now();
      const heard = queue.changed(5_000).then(() => Date.now());
      await new Promise((r) => setTimeout(r, 20));
      const released = Date.now();
      assert.deepEqual(await other.releaseToken('held', T0 + 1), [0, 1]);
      const at = await heard;
      assert.ok(at - released < 100, `heard ${at - released} ms after the release`);
      assert.ok(at - started < 1_000);
    } finally {
      await other.close();
    }
  });

  it("queue: another process's allocation and extension are heard within milliseconds (the agent's status board)", async (store) => {
    await store.initialize(2, false, T0);
    const other = await another(store);
    try {
      await queueOf(store).changed(1); // a listener has listened before (Redis subscribes on its first wait)
      const heardAfter = async (change: () => Promise<unknown>) => {
        const heard = queueOf(store)
          .changed(5_000)
          .then(() => Date.now());
        await new Promise((r) => setTimeout(r, 20));
        const at = Date.now();
        await change();
        return (await heard) - at;
      };
      const manual = { type: 'manual' as const, user: 'bob', expiryTime: T0 + 3_600_000, token: 'm' };
      const allocated = await heardAfter(() => other.allocate(grant(manual)));
      assert.ok(allocated < 100, `heard ${allocated} ms after the allocation`);
      const extended = await heardAfter(() => other.extendManual('bob', T0 + 1, defaultLiveness(), 60_000));
      assert.ok(extended < 100, `heard ${extended} ms after the extension`);
    } finally {
      await other.close();
    }
  });

  it("queue: a waiter hears of another process's waiter leaving within milliseconds", async (store) => {
    await store.initialize(2, false, T0);
    const other = await another(store);
    try {
      await other.queue!.enqueue(entry('ahead', { lastHeartbeat: Date.now() }));
      await queueOf(store).changed(1); // a waiter has listened before (Redis subscribes on its first wait)
      const heard = queueOf(store)
        .changed(5_000)
        .then(() => Date.now());
      await new Promise((r) => setTimeout(r, 20));
      const left = Date.now();
      await other.queue!.leave(['ahead']);
      const at = await heard;
      assert.ok(at - left < 100, `heard ${at - left} ms after it left`);
    } finally {
      await other.close();
    }
  });
}
