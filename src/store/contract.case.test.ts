// The contract every storage backend passes. Each backend's own test file calls runStoreContract.
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { mayReinitialize } from '../domain/pool-owner.js';
import { describe, test } from 'node:test';
import type { AllocationRequest } from '../domain/allocation.js';
import { NotEnoughGpusError, PoolAlreadyInitializedError, PoolNotInitializedError } from '../domain/errors.js';
import { activeReservation, defaultLiveness, lastReleased } from '../domain/liveness.js';
import type { ReadingStore, Store } from '../domain/ports.js';
import { choosingCases } from './choose.case.test.js';
import { historyCases } from './history.case.test.js';
import { unreservedCases } from './unreserved.case.test.js';
import { queueContractCases } from './queue-contract.case.test.js';

export interface StoreFactory {
  /** A fresh, empty store each call. */
  open(options?: { historyRetentionMs?: number }): Promise<Store & ReadingStore>;
  /**
   * A second handle on `store`'s pool, as another process opens it (absent: openStore of its location, with
   * its fleet host): a private store's other users reach it through the same agent.
   */
  another?(store: Store): Promise<Store>;
}

const HOUR = 3_600_000;
const T0 = 1_800_000_000_000;
let tokens = 0;

/** A request of the contract's: Alice's 1-GPU run at T0, a token of its own. */
export function request(over: Partial<AllocationRequest> = {}): AllocationRequest {
  return {
    count: 1,
    user: 'alice',
    type: 'run',
    now: T0,
    expiryTime: null,
    inUse: [],
    token: `token-${++tokens}`,
    owner: null,
    liveness: defaultLiveness(),
    ...over,
  };
}

async function withStore(
  factory: StoreFactory,
  fn: (store: Store & ReadingStore) => Promise<void>,
  options?: { historyRetentionMs?: number },
): Promise<void> {
  const store = await factory.open(options);
  try {
    await fn(store);
  } finally {
    await store.close();
  }
}

async function heldBy(store: Store, now: number) {
  const { slots } = await store.snapshot();
  return slots.map((s) => activeReservation(s, now, defaultLiveness())?.user ?? null);
}

export function runStoreContract(name: string, factory: StoreFactory): void {
  describe(`store contract: ${name}`, () => {
    const it = (title: string, fn: (store: Store & ReadingStore) => Promise<void>) =>
      test(title, () => withStore(factory, fn));

    it('keeps the latest GPU reading of each host, an unreadable machine included', async (store) => {
      assert.equal(await store.latestReading('h1'), null);
      const usage = [{ index: 0, uuid: 'GPU-0', name: 'H100', memoryUsedMb: 5, memoryTotalMb: 81_559, processes: [] }];
      await store.saveReading({ host: 'h1', takenAt: T0, usage });
      await store.saveReading({ host: 'h2', takenAt: T0 + 1, usage: null });
      assert.deepEqual(await store.latestReading('h1'), { host: 'h1', takenAt: T0, usage });
      assert.deepEqual(await store.latestReading('h2'), { host: 'h2', takenAt: T0 + 1, usage: null });
      await store.saveReading({ host: 'h1', takenAt: T0 + 2, usage: [] });
      assert.deepEqual(await store.latestReading('h1'), { host: 'h1', takenAt: T0 + 2, usage: [] });
    });

    it('elects one prober per host until its lock times out or it saves its reading', async (store) => {
      const now = Date.now();
      assert.equal(await store.claimProbe('h1', now, 40), true);
      assert.equal(await store.claimProbe('h1', now, 40), false);
      assert.equal(await store.claimProbe('h2', now, 40), true, 'hosts are apart');
      await store.saveReading({ host: 'h1', takenAt: now, usage: [] });
      assert.equal(await store.claimProbe('h1', now, 40), true, 'a saved reading frees the lock');
      // Redis times the lock by its own clock: let it pass for both stores.
      await new Promise((resolve) => setTimeout(resolve, 60));
      assert.equal(await store.claimProbe('h2', Date.now(), 40), true, 'a prober that died frees it in time');
    });

    it('names the prober that holds the lock, and lets one that names a dead holder take it over', async (store) => {
      const now = Date.now();
      const dead = { host: 'box-1', pid: 4242, startTime: '777' };
      const waiter = { host: 'box-1', pid: 4343, startTime: null };
      assert.equal(await store.proberOf('h1', now), null, 'no lock: no prober');
      assert.equal(await store.claimProbe('h1', now, 60_000, dead), true);
      assert.deepEqual(await store.proberOf('h1', now), dead);
      assert.equal(await store.claimProbe('h1', now, 60_000, waiter), false, 'held by a prober');
      const other = { ...dead, startTime: '778' }; // the same pid, another process
      assert.equal(
        await store.claimProbe('h1', now, 60_000, waiter, other),
        false,
        'only the holder named is replaced',
      );
      assert.equal(await store.claimProbe('h1', now, 60_000, waiter, dead), true);
      assert.deepEqual(await store.proberOf('h1', now), waiter);
      assert.equal(await store.claimProbe('h1', now, 60_000, dead, dead), false, 'the holder it named is gone');
      await store.saveReading({ host: 'h1', takenAt: now, usage: [] });
      assert.equal(await store.proberOf('h1', now), null, 'a saved reading frees the lock');
      assert.equal(await store.claimProbe('h2', now, 60_000), true);
      assert.equal(await store.proberOf('h2', now), null, 'a claim that named no one');
      assert.equal(await store.claimProbe('h2', now, 60_000, waiter, dead), false, 'an unnamed holder is waited out');
    });

    it('a store never initialised says so', async (store) => {
      await assert.rejects(store.snapshot(), PoolNotInitializedError);
      await assert.rejects(store.allocate(request()), PoolNotInitializedError);
    });

    it('initialises a pool of never-used GPUs', async (store) => {
      assert.deepEqual(await store.initialize(4, false, T0), { previousCount: null });
      const snap = await store.snapshot();
      assert.equal(snap.gpuCount, 4);
      assert.deepEqual(
        snap.slots.map((s) => [s.id, s.reservation, s.lastReleased]),
        [0, 1, 2, 3].map((id) => [id, null, null]),
      );
    });

    it('refuses to reinitialise without force and changes nothing', async (store) => {
      await store.initialize(4, false, T0);
      await store.allocate(request({ count: 2 }));
      await assert.rejects(
        store.initialize(2, false, T0),
        (e) => e instanceof PoolAlreadyInitializedError && e.gpuCount === 4,
      );
      assert.deepEqual(await heldBy(store, T0), ['alice', 'alice', null, null]);
    });

    it('reinitialises with force, clearing every reservation', async (store) => {
      await store.initialize(8, false, T0);
      await store.allocate(request({ count: 3 }));
      assert.deepEqual(await store.initialize(4, true, T0), { previousCount: 8 });
      const snap = await store.snapshot();
      assert.equal(snap.gpuCount, 4);
      assert.ok(snap.slots.every((s) => s.reservation === null));
    });

    it('knows who set the pool up, so admin --force can be kept to them and root', async (store) => {
      const me = { uid: process.getuid?.() ?? -1, user: 'alice', host: hostname() };
      await store.initialize(2, false, T0, me);
      const owner = await store.poolOwner();
      assert.deepEqual([owner?.uid, owner?.host], [me.uid, me.host]);
      const stranger = { uid: me.uid + 1, user: 'mallory', host: me.host };
      assert.equal(mayReinitialize(owner, stranger), me.uid + 1 === 0);
      assert.equal(mayReinitialize(owner, { ...me, user: 'alias' }), true);
      assert.equal(mayReinitialize(owner, { ...stranger, uid: 0 }), true);
    });

    it('grants never-released GPUs first, ties by id', async (store) => {
      await store.initialize(4, false, T0);
      const first = request({ count: 2 });
      assert.deepEqual(await store.allocate(first), [0, 1]);
      await store.releaseToken(first.token, T0 + 1000);
      assert.deepEqual(await store.allocate(request({ count: 3, now: T0 + 2000 })), [2, 3, 0]);
    });

    it("grants the least recently released GPUs (the original manual's example: 1 and 5 of 1, 2, 5)", async (store) => {
      await store.initialize(6, false, T0);
      const all = request({ count: 6 });
      await store.allocate(all);
      await store.releaseToken(all.token, T0 + HOUR);
      const now = T0 + 10 * HOUR;
      // Re-reserve everything, then release 1, 5 and 2 at 3h, 2h and 1h before `now`.
      const holders = new Map<number, string>();
      for (let i = 0; i < 6; i++) {
        const r = request({ now: T0 + 2 * HOUR, type: 'manual', expiryTime: T0 + 100 * HOUR });
        const [id] = await store.allocate(r);
        holders.set(id!, r.token);
      }
      await store.releaseToken(holders.get(1)!, now - 3 * HOUR);
      await store.releaseToken(holders.get(5)!, now - 2 * HOUR);
      await store.releaseToken(holders.get(2)!, now - 1 * HOUR);
      const granted = await store.allocate(request({ count: 2, now }));
      assert.deepEqual([...granted].sort(), [1, 5]);
    });

    it('grants all or nothing', async (store) => {
      await store.initialize(3, false, T0);
      await store.allocate(request({ user: 'bob' }));
      await assert.rejects(
        store.allocate(request({ count: 3 })),
        (e) => e instanceof NotEnoughGpusError && e.requested === 3 && e.available === 2 && e.unreservedInUse === 0,
      );
      assert.deepEqual(await heldBy(store, T0), ['bob', null, null]);
    });

    it('never grants a GPU the hardware shows in use, and counts it in the error', async (store) => {
      await store.initialize(4, false, T0);
      await store.allocate(request({ user: 'bob' })); // GPU 0 reserved: its memory use is bob's business
      assert.deepEqual(await store.allocate(request({ count: 1, inUse: [0, 1, 2] })), [3]);
      await assert.rejects(
        store.allocate(request({ count: 1, inUse: [0, 1, 2] })),
        (e) =>
          e instanceof NotEnoughGpusError &&
          e.available === 0 &&
          e.unreservedInUse === 2 &&
          e.message ===
            "Not enough GPUs available. Requested: 1, Available: 0 (2 GPUs in use without reservation - run 'canhazgpu status' for details)",
      );
    });

    it('never grants a GPU the probe does not list, and counts it apart in the error', async (store) => {
      await store.initialize(6, false, T0);
      await store.allocate(request({ user: 'bob', listed: [0, 1, 2, 3] })); // GPU 0
      const short = (e: unknown) =>
        e instanceof NotEnoughGpusError &&
        e.available === 2 &&
        e.unreservedInUse === 1 &&
        e.notFound === 2 &&
        e.message ===
          'Not enough GPUs available. Requested: 3, Available: 2 (1 GPUs in use ' +
            "without reservation, 2 GPUs not found by nvidia-smi - run 'canhazgpu status' for details)";
      await assert.rejects(store.allocate(request({ count: 3, inUse: [1], listed: [0, 1, 2, 3] })), short);
      assert.deepEqual(await store.allocate(request({ count: 2, inUse: [1], listed: [0, 1, 2, 3] })), [2, 3]);
      // A probe that could not read leaves nothing out, as before.
      assert.deepEqual(await store.allocate(request({ count: 2, listed: null })), [1, 4]);
    });

    it('grants only the GPUs a request names, when it names them', async (store) => {
      await store.initialize(4, false, T0);
      assert.deepEqual(await store.allocate(request({ only: [2] })), [2]);
      await assert.rejects(
        store.allocate(request({ only: [2] })),
        (e) => e instanceof NotEnoughGpusError && e.available === 0,
      );
      assert.deepEqual(await store.allocate(request({ count: 2, only: [3, 0, 2] })), [0, 3]);
      await assert.rejects(store.allocate(request({ only: [] })), NotEnoughGpusError);
    });

    it('frees a manual reservation at its expiry, released at that moment', async (store) => {
      await store.initialize(1, false, T0);
      await store.allocate(request({ type: 'manual', expiryTime: T0 + HOUR }));
      await assert.rejects(store.allocate(request({ now: T0 + HOUR - 1 })), NotEnoughGpusError);
      const [slot] = (await store.snapshot()).slots;
      assert.equal(lastReleased(slot!, T0 + 2 * HOUR, defaultLiveness()), T0 + HOUR);
      assert.deepEqual(await store.allocate(request({ user: 'bob', now: T0 + HOUR })), [0]);
    });

    it('frees a run reservation whose heartbeat went stale, or whose owner is dead', async (store) => {
      await store.initialize(2, false, T0);
      const stale = request();
      const dead = request();
      await store.allocate(stale);
      await store.allocate(dead);
      const live = defaultLiveness();
      await assert.rejects(store.allocate(request({ now: T0 + live.staleAfterMs })), NotEnoughGpusError);
      assert.deepEqual(
        await store.allocate(request({ now: T0 + 1000, liveness: defaultLiveness(new Set([dead.token])) })),
        [1],
      );
      assert.deepEqual(await store.allocate(request({ now: T0 + live.staleAfterMs + 1 })), [0]);
    });

    it("holds a run reservation whose owner is seen alive however stale its heartbeat (a killed run's command)", async (store) => {
      await store.initialize(2, false, T0);
      const orphaned = request();
      await store.allocate(orphaned);
      const later = T0 + defaultLiveness().staleAfterMs + 60_000;
      const seenAlive = defaultLiveness(new Set(), new Set([orphaned.token]));
      await assert.rejects(store.allocate(request({ count: 2, now: later, liveness: seenAlive })), NotEnoughGpusError);
      assert.deepEqual(await store.allocate(request({ now: later, liveness: seenAlive })), [1]);
      // Once its owner is gone, it frees at once.
      assert.deepEqual(
        await store.allocate(request({ now: later, liveness: defaultLiveness(new Set([orphaned.token])) })),
        [0],
      );
    });

    it('heartbeats refresh only their own reservation and keep its start time', async (store) => {
      await store.initialize(3, false, T0);
      const mine = request({ count: 2 });
      const theirs = request({ user: 'bob' });
      await store.allocate(mine);
      await store.allocate(theirs);
      assert.deepEqual(await store.heartbeat(mine.token, T0 + 60_000), [0, 1]);
      const { slots } = await store.snapshot();
      assert.deepEqual(
        slots.map((s) => [s.reservation?.startTime, s.reservation?.lastHeartbeat]),
        [
          [T0, T0 + 60_000],
          [T0, T0 + 60_000],
          [T0, T0],
        ],
      );
      assert.deepEqual(await store.heartbeat('no-such-token', T0), []);
    });

    it("hands a reservation's GPUs to another owner, and only that reservation's", async (store) => {
      await store.initialize(3, false, T0);
      const mine = request({ count: 2, owner: { host: 'h1', pid: 100, startTime: '5' } });
      const theirs = request({ user: 'bob', owner: { host: 'h1', pid: 200, startTime: '6' } });
      await store.allocate(mine);
      await store.allocate(theirs);
      assert.deepEqual(await store.setOwner(mine.token, { host: 'h1', pid: 101, startTime: '7' }), [0, 1]);
      assert.deepEqual(await store.setOwner(theirs.token, { host: 'h1', pid: 201, startTime: null }), [2]);
      const { slots } = await store.snapshot();
      assert.deepEqual(
        slots.map((s) => s.reservation?.owner),
        [
          { host: 'h1', pid: 101, startTime: '7' },
          { host: 'h1', pid: 101, startTime: '7' },
          { host: 'h1', pid: 201, startTime: null },
        ],
      );
      assert.deepEqual(
        slots.map((s) => [s.reservation?.user, s.reservation?.startTime, s.reservation?.lastHeartbeat]),
        [
          ['alice', T0, T0],
          ['alice', T0, T0],
          ['bob', T0, T0],
        ],
      );
      assert.deepEqual(await store.setOwner('no-such-token', { host: 'h1', pid: 1, startTime: null }), []);
      await store.releaseToken(mine.token, T0 + 1);
      assert.deepEqual(await store.setOwner(mine.token, { host: 'h1', pid: 102, startTime: null }), []);
      assert.equal((await store.snapshot()).slots[0]!.reservation, null);
    });

    it('a reservation cleared by a forced reinitialisation is lost to its heartbeat', async (store) => {
      await store.initialize(2, false, T0);
      const mine = request();
      await store.allocate(mine);
      await store.initialize(2, true, T0 + 1);
      assert.deepEqual(await store.heartbeat(mine.token, T0 + 2), []);
      assert.deepEqual(await store.releaseToken(mine.token, T0 + 3), []);
    });

    it('releases a run reservation by its token only', async (store) => {
      await store.initialize(3, false, T0);
      const mine = request({ count: 2 });
      await store.allocate(mine);
      await store.allocate(request({ user: 'bob' }));
      assert.deepEqual(await store.releaseToken(mine.token, T0 + 5000), [0, 1]);
      const { slots } = await store.snapshot();
      assert.deepEqual(
        slots.map((s) => [s.reservation?.user ?? null, s.lastReleased]),
        [
          [null, T0 + 5000],
          [null, T0 + 5000],
          ['bob', null],
        ],
      );
    });

    it("releases the caller's active manual reservations and nothing else", async (store) => {
      await store.initialize(5, false, T0);
      await store.allocate(request({ type: 'manual', expiryTime: T0 + HOUR, count: 2 })); // 0, 1
      await store.allocate(request({ type: 'run' })); // 2: alice's run
      await store.allocate(request({ user: 'bob', type: 'manual', expiryTime: T0 + HOUR })); // 3
      await store.allocate(request({ type: 'manual', expiryTime: T0 + 10 })); // 4: expires soon
      assert.deepEqual(await store.releaseManual('alice', T0 + 100, defaultLiveness()), [0, 1]);
      assert.deepEqual(await heldBy(store, T0 + 100), [null, null, 'alice', 'bob', null]);
      assert.deepEqual(await store.releaseManual('alice', T0 + 100, defaultLiveness()), []);
    });

    it('keeps the owner and expiry of a reservation', async (store) => {
      await store.initialize(2, false, T0);
      const owner = { host: 'gpu-box-1', pid: 4242, startTime: '123456' };
      await store.allocate(request({ owner }));
      await store.allocate(request({ type: 'manual', expiryTime: T0 + HOUR, user: 'bob' }));
      const { slots } = await store.snapshot();
      assert.deepEqual(slots[0]!.reservation, {
        user: 'alice',
        type: 'run',
        startTime: T0,
        lastHeartbeat: T0,
        expiryTime: null,
        token: slots[0]!.reservation!.token,
        owner,
      });
      assert.equal(slots[1]!.reservation!.expiryTime, T0 + HOUR);
      assert.equal(slots[1]!.reservation!.type, 'manual');
    });

    it('never grants one GPU twice to concurrent allocations', async (store) => {
      await store.initialize(8, false, T0);
      const results = await Promise.allSettled(
        Array.from({ length: 12 }, (_, i) => store.allocate(request({ user: `u${i}` }))),
      );
      const granted = results.flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
      assert.equal(granted.length, 8);
      assert.equal(new Set(granted).size, 8);
      assert.equal(results.filter((r) => r.status === 'rejected' && r.reason instanceof NotEnoughGpusError).length, 4);
    });

    historyCases(
      it,
      request,
      T0,
      (historyRetentionMs) => (title, fn) => test(title, () => withStore(factory, fn, { historyRetentionMs })),
    );
    unreservedCases(
      it,
      T0,
      (historyRetentionMs) => (title, fn) => test(title, () => withStore(factory, fn, { historyRetentionMs })),
    );
    choosingCases(it, request);
    queueContractCases(it, factory.another);
  });
}
