// The wait queue through the agent: what the gate lets an ordinary user do to it (only their own entries,
// ids kept apart per uid, the agent's clock, a bounded share), and waiting through it end to end.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AllocationRequest } from '../../domain/allocation.js';
import { HeldForQueueError, UsageError } from '../../domain/errors.js';
import { systemClock } from '../../domain/ports.js';
import { OUR_GHOST_AFTER_MS, type QueueEntry } from '../../domain/queue.js';
import { allocateWaiting } from '../../pool/queue-waiter.js';
import { idlePool } from '../../../support/idle-pool.js';
import { alice, bob, served, trusted } from '../../../support/private-agent.js';
import { AgentStore } from './agent-store.js';
import { ADMITTED_GRACE_MS, MAX_WAITERS_PER_USER } from './queue-gate.js';
import { request as contractRequest } from '../contract.case.test.js';
import { entry } from '../queue-contract.case.test.js';

const T0 = 1_800_000_000_000;
/** Bob's 1-GPU run, unless said otherwise. */
const request = (over: Partial<AllocationRequest> = {}) => contractRequest({ user: 'bob', ...over });

/** Alice on the first connection, Bob on the second, root on the third, a pool of 4 GPUs, at the test's clock. */
async function pool(clockNow: () => number) {
  const agent = await served((i) => [alice, bob, trusted][i] ?? bob, clockNow);
  const [asAlice, asBob, asRoot] = [
    await AgentStore.connect(agent.path),
    await AgentStore.connect(agent.path),
    await AgentStore.connect(agent.path),
  ];
  await asRoot.initialize(4, false, T0);
  return {
    asAlice,
    asBob,
    asRoot,
    ids: async (store: AgentStore) => (await store.queue.waiters()).map((e) => e.id),
    close: async () => {
      for (const c of [asAlice, asBob, asRoot]) await c.close();
      await agent.close();
    },
  };
}

test('a user queues only as themself, a well-formed entry, at the agent’s clock; everyone lists the queue', async () => {
  const p = await pool(() => T0 + 5);
  try {
    await assert.rejects(
      p.asBob.queue.enqueue(entry('w')),
      (e) => e instanceof UsageError && /you are 'bob'/.test(e.message),
    );
    await assert.rejects(p.asBob.queue.enqueue(entry('w', { user: 'bob' })), UsageError, 'nor behind another name');
    const malformed: Array<Partial<QueueEntry>> = [
      { count: 0 },
      { count: 1.5 },
      { type: 'forever' as 'run' },
      { requestedIds: [1, 1] },
      { requestedIds: [] },
      { requestedIds: [4] },
      { count: 5 },
      { durationMs: -1 },
      { note: 'x'.repeat(5_000) },
      { note: 'two\nlines' },
      { waitUntil: 'soon' as unknown as number },
      { id: '' },
      { id: 'i'.repeat(300) },
    ];
    for (const over of malformed) {
      await assert.rejects(p.asAlice.queue.enqueue(entry('w', over)), UsageError, JSON.stringify(over).slice(0, 80));
    }
    await assert.rejects(p.asAlice.queue.enqueue(null as unknown as QueueEntry), UsageError);
    assert.deepEqual(await p.asRoot.queue.waiters(), [], 'a refused entry changes nothing');

    // Its place comes from the agent's clock, not from what it claims (the head of the queue at time 0).
    await p.asAlice.queue.enqueue(entry('w1', { enqueuedAt: 0, lastHeartbeat: 0, ours: false, note: 'eval' }));
    const [mine] = await p.asAlice.queue.waiters();
    assert.deepEqual(mine, entry('w1', { enqueuedAt: T0 + 5, lastHeartbeat: T0 + 5, note: 'eval' }));
    assert.deepEqual(await p.ids(p.asBob), ['uid1000:w1'], 'others see it under a prefix they cannot send');
    assert.deepEqual(await p.ids(p.asRoot), ['uid1000:w1']);
    await assert.rejects(p.asAlice.queue.enqueue(entry('w1')), /already wait in the queue under that id/);
  } finally {
    await p.close();
  }
});

test("a user beats and leaves only their own entries; others' go once the agent finds them departed", async () => {
  let now = T0;
  const p = await pool(() => now);
  try {
    await p.asAlice.queue.enqueue(entry('w1'));
    assert.equal(await p.asBob.queue.beat('w1', T0 + 1), false, 'a copied id names nothing of hers');
    assert.equal(await p.asBob.queue.beat('uid1000:w1', T0 + 1), false);
    await p.asBob.queue.leave(['w1', 'uid1000:w1']);
    assert.deepEqual(await p.ids(p.asAlice), ['w1'], 'a live waiter stays');
    now = T0 + 3_000;
    assert.equal(await p.asAlice.queue.beat('w1', 0), true);
    assert.equal((await p.asRoot.queue.waiters())[0]!.lastHeartbeat, T0 + 3_000, "at the agent's clock");
    // Taking her id as a token grants Bob his own reservation, in its place after her, and leaves her waiting.
    const copied = request({ token: 'w1', queueSeen: ['uid1000:w1'], now: 0 });
    assert.deepEqual(await p.asBob.allocate(copied), [2]);
    assert.deepEqual(await p.ids(p.asAlice), ['w1']);

    now += OUR_GHOST_AFTER_MS + 1; // her waiter stopped beating: a ghost, which anyone's look removes
    await p.asBob.queue.leave(['uid1000:w1']);
    assert.deepEqual(await p.ids(p.asRoot), []);
    assert.equal(await p.asAlice.queue.beat('w1', now), false, 'she is told, and queues again');

    // A waiter granted leaves the queue in the same step, whether or not its caller said what it saw.
    await p.asAlice.queue.enqueue(entry('w2', { count: 1 }));
    assert.deepEqual(await p.asAlice.allocate(request({ user: 'alice', token: 'w2' })), [0]);
    assert.deepEqual(await p.ids(p.asRoot), []);
    await assert.rejects(p.asBob.queue.leave('uid1000:w2' as unknown as string[]), UsageError);
  } finally {
    await p.close();
  }
});

test('the agent judges the order itself: a request with or without what its caller saw goes only in its turn', async () => {
  const p = await pool(() => T0);
  try {
    const manual = (over: Partial<AllocationRequest>) => request({ type: 'manual', ...over });
    const rootHolds = manual({ user: 'root', token: 'held', count: 2, expiryTime: T0 + 60_000 });
    assert.deepEqual(await p.asRoot.allocate(rootHolds), [0, 1]);
    await p.asAlice.queue.enqueue(entry('w1', { count: 3 }));
    const held = (e: unknown) =>
      e instanceof HeldForQueueError &&
      e.message ===
        "Not enough GPUs available. Requested: 1, Available: 0 (2 free GPUs kept for 1 earlier waiting request(s) - run 'canhazgpu queue' for details)";
    await assert.rejects(p.asBob.allocate(request()), held, 'without queueSeen: no way past her');
    await assert.rejects(p.asBob.allocate(request({ queueSeen: [] })), held, 'nor by naming a queue it did not see');
    await assert.rejects(p.asBob.allocate(request({ queueSeen: ['uid1000:w1'] })), held, 'nor the queue as it is');
    // Only a reservation that ends before her earliest start (root's GPUs free at T0 + 60 s) goes ahead by backfill.
    await assert.rejects(p.asBob.allocate(manual({ expiryTime: T0 + 120_000 })), held);
    assert.deepEqual(await p.asBob.allocate(manual({ expiryTime: T0 + 30_000 })), [2]);
    // Her turn she takes with her id, whatever she says she saw; her waiter leaves in the same step.
    await p.asRoot.releaseToken('held', T0);
    await assert.rejects(p.asBob.allocate(request()), HeldForQueueError, 'the free GPUs are hers');
    const hers = await p.asAlice.allocate(request({ user: 'alice', token: 'w1', count: 3, queueSeen: ['nonsense'] }));
    assert.deepEqual(hers.sort(), [0, 1, 3]);
    assert.deepEqual(await p.asRoot.queue.waiters(), []);
  } finally {
    await p.close();
  }
});

test('a waiter the queue grants but whose caller never takes the GPUs is gone after the grace, and gets none again', async () => {
  let now = T0;
  const p = await pool(() => now);
  try {
    await p.asAlice.queue.enqueue(entry('squat', { count: 4 }));
    const held = (e: unknown) => e instanceof HeldForQueueError && /4 free GPUs kept for 1 earlier/.test(e.message);
    for (; now < T0 + ADMITTED_GRACE_MS; now += 2_000) {
      assert.equal(await p.asAlice.queue.beat('squat', now), true, `still in its grace at ${now - T0} ms`);
      await assert.rejects(p.asBob.allocate(request()), held);
    }
    now = T0 + ADMITTED_GRACE_MS;
    assert.deepEqual(await p.ids(p.asBob), [], "anyone's look removes it");
    assert.equal(await p.asAlice.queue.beat('squat', now), false, 'and its waiter hears so');
    assert.deepEqual(await p.asBob.allocate(request()), [0]);
    // At the head again at once (no one else waits), with no fresh grace: gone as it comes.
    await assert.rejects(p.asAlice.queue.enqueue(entry('again', { count: 3 })), /let a grant lapse lately/);
    assert.deepEqual(await p.ids(p.asRoot), []);
    // Behind others it waits like anyone (nobody waits for what it cannot have yet).
    await p.asAlice.queue.enqueue(entry('later', { count: 4 }));
    assert.deepEqual(await p.ids(p.asRoot), ['uid1000:later']);
  } finally {
    await p.close();
  }
});

test('an honest waiter that takes its turn within the grace keeps its place, its grace counted from its grant', async () => {
  let now = T0;
  const p = await pool(() => now);
  try {
    assert.deepEqual(await p.asRoot.allocate(request({ user: 'root', token: 'held', count: 4 })), [0, 1, 2, 3]);
    await p.asBob.queue.enqueue(entry('b', { user: 'bob', actualUser: 'bob', count: 2 }));
    now += 60_000; // waiting a minute costs no grace: the queue granted nothing yet
    assert.equal(await p.asBob.queue.beat('b', now), true);
    await p.asRoot.releaseToken('held', now);
    assert.equal(await p.asBob.queue.beat('b', now), true);
    now += ADMITTED_GRACE_MS - 1;
    assert.equal(await p.asBob.queue.beat('b', now), true);
    assert.deepEqual((await p.asBob.allocate(request({ token: 'b', count: 2 }))).length, 2);
    assert.deepEqual(await p.ids(p.asRoot), []);
    // Granted nothing for long, then granted again: a fresh grace.
    await p.asBob.queue.enqueue(entry('b2', { user: 'bob', actualUser: 'bob', count: 4 }));
    now += 60_000;
    await p.asBob.releaseToken('b', now);
    assert.equal(await p.asBob.queue.beat('b2', now), true);
    now += ADMITTED_GRACE_MS - 1;
    assert.equal(await p.asBob.queue.beat('b2', now), true);
  } finally {
    await p.close();
  }
});

test('a waiter hears at once of a change made after its last look, and waits its time when nothing changed', async () => {
  const p = await pool(() => T0);
  try {
    assert.deepEqual(await p.asBob.allocate(request({ token: 'held' })), [0]);
    await p.asAlice.snapshot();
    const quiet = Date.now();
    await p.asAlice.queue.changed(80);
    assert.ok(Date.now() - quiet >= 75, 'nothing changed since it looked');
    await p.asAlice.snapshot();
    assert.deepEqual(await p.asBob.releaseToken('held', T0), [0]); // after her look at the pool
    await p.asAlice.queue.waiters(); // and before her look at the queue
    const started = Date.now();
    await p.asAlice.queue.changed(4_000);
    assert.ok(Date.now() - started < 1_000, `heard ${Date.now() - started} ms later`);
  } finally {
    await p.close();
  }
});

test(`one user holds at most ${MAX_WAITERS_PER_USER} places; the ghosts of their killed waiters hold none`, async () => {
  let now = T0;
  const p = await pool(() => now);
  try {
    for (let i = 0; i < MAX_WAITERS_PER_USER; i++) await p.asAlice.queue.enqueue(entry(`w${i}`));
    await assert.rejects(
      p.asAlice.queue.enqueue(entry('one-more')),
      (e) => e instanceof UsageError && /already wait in the queue 16 times/.test(e.message),
    );
    await p.asBob.queue.enqueue(entry('b', { user: 'bob', actualUser: 'bob' }));
    assert.equal((await p.asRoot.queue.waiters()).length, MAX_WAITERS_PER_USER + 1, 'others still queue');
    now += OUR_GHOST_AFTER_MS + 1;
    await p.asAlice.queue.enqueue(entry('after'));
    assert.deepEqual(await p.ids(p.asAlice), ['uid1001:b', 'after']);
  } finally {
    await p.close();
  }
});

test('a user records backfills only as themself, for waiters there are', async () => {
  const p = await pool(() => T0 + 7);
  try {
    await p.asAlice.queue.enqueue(entry('head'));
    const b = { passed: 'uid1000:head', user: 'bob', gpus: [3], at: 0, until: T0 + 60_000 };
    await assert.rejects(p.asBob.queue.recordBackfill({ ...b, user: 'alice' }), UsageError);
    await assert.rejects(p.asBob.queue.recordBackfill({ ...b, passed: 'head' }), /no such waiter/);
    await assert.rejects(p.asBob.queue.recordBackfill({ ...b, gpus: 'all' as unknown as number[] }), UsageError);
    await p.asBob.queue.recordBackfill(b);
    assert.deepEqual(await p.asBob.queue.backfills(), [{ ...b, at: T0 + 7 }]);
    assert.deepEqual(await p.asAlice.queue.backfills(), [{ ...b, passed: 'head', at: T0 + 7 }]);
  } finally {
    await p.close();
  }
});

test('through the agent, a waiter gets GPUs as another user releases them, and plain requests defer to it', async () => {
  const agent = await served(
    (i) => [trusted, alice, bob][i] ?? bob,
    () => systemClock.now(),
  );
  const stores = [
    await AgentStore.connect(agent.path),
    await AgentStore.connect(agent.path),
    await AgentStore.connect(agent.path),
  ];
  try {
    const [root, asAlice, asBob] = stores.map((s) => idlePool(s, 4)) as [
      ReturnType<typeof idlePool>,
      ReturnType<typeof idlePool>,
      ReturnType<typeof idlePool>,
    ];
    await root.store.initialize(4, false, systemClock.now());
    const grant = (user: string, count: number, token: string) =>
      ({ count, user, type: 'run', durationMs: null, token, owner: null }) as const;
    assert.deepEqual(await root.allocate(grant('root', 4, 'held')), [0, 1, 2, 3]);
    const waiting = allocateWaiting(asAlice, grant('alice', 2, 'mine'), { clock: systemClock, until: null });
    for (let i = 0; i < 200 && (await root.store.queue!.waiters()).length === 0; i++) {
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.deepEqual(
      (await asBob.store.queue!.waiters()).map((e) => [e.id, e.user]),
      [['uid1000:mine', 'alice']],
    );
    await root.store.releaseToken('held', systemClock.now());
    const released = Date.now();
    assert.deepEqual(await waiting, [0, 1]);
    assert.ok(Date.now() - released < 500, `handed over ${Date.now() - released} ms after the release`);
    assert.deepEqual(await root.store.queue!.waiters(), []);

    // Bob waits for 3 while 2 are free: Alice's plain request for 1 must not take one he waits for.
    const bobs = allocateWaiting(asBob, grant('bob', 3, 'his'), { clock: systemClock, until: null });
    for (let i = 0; i < 200 && (await root.store.queue!.waiters()).length === 0; i++) {
      await new Promise((r) => setTimeout(r, 5));
    }
    await assert.rejects(asAlice.allocate(grant('alice', 1, 'plain')), HeldForQueueError);
    await asAlice.store.releaseToken('mine', systemClock.now());
    assert.equal((await bobs).length, 3);
  } finally {
    for (const s of stores) await s.close();
    await agent.close();
  }
});
