// The store contract's cases for choosing and describing GPUs (`--gpu-ids`, `--note`, `release -G`,
// `reserve --extend`, `admin --policy`); runStoreContract runs them on every backend.
import assert from 'node:assert/strict';
import type { AllocationRequest } from '../domain/allocation.js';
import { GpusUnavailableError } from '../domain/gpu-ids.js';
import { activeReservation, defaultLiveness } from '../domain/liveness.js';
import type { Store } from '../domain/ports.js';

type Case = (title: string, fn: (store: Store) => Promise<void>) => void;
type Request = (over?: Partial<AllocationRequest>) => AllocationRequest;

const HOUR = 3_600_000;
const T0 = 1_800_000_000_000;
const S = 1000; // Redis keeps whole seconds: steps of a second keep both stores to the same order

async function holders(store: Store, now: number) {
  const { slots } = await store.snapshot();
  return slots.map((s) => activeReservation(s, now, defaultLiveness())?.user ?? null);
}

export function choosingCases(it: Case, request: Request): void {
  it('--gpu-ids: grants exactly the GPUs named', async (store) => {
    await store.initialize(4, false, T0);
    const ids = await store.allocate(request({ count: 2, only: [3, 1], exact: true }));
    assert.deepEqual([...ids].sort(), [1, 3]);
    assert.deepEqual(await holders(store, T0), [null, 'alice', null, 'alice']);
  });

  it('--gpu-ids: names each GPU that cannot be had, and grants none', async (store) => {
    await store.initialize(8, false, T0);
    await store.allocate(request({ user: 'bob', only: [3], exact: true }));
    const named = request({ count: 5, only: [3, 5, 6, 9, 2], exact: true, inUse: [5], listed: [0, 1, 2, 3, 4, 5, 7] });
    await assert.rejects(store.allocate(named), (e: unknown) => {
      assert.ok(e instanceof GpusUnavailableError);
      assert.deepEqual(e.reasons, [
        "GPU 3 is already reserved by user 'bob'",
        'GPU 5 is in use without reservation',
        'GPU 6 is not found by nvidia-smi',
        'GPU ID 9 is out of range (0-7)',
      ]);
      return true;
    });
    assert.deepEqual(await holders(store, T0), [null, null, null, 'bob', null, null, null, null]);
  });

  it("--gpu-ids: a manual request extends the user's own manual GPUs, keeping their start; a run may not take them", async (store) => {
    await store.initialize(4, false, T0);
    await store.allocate(request({ type: 'manual', expiryTime: T0 + HOUR, only: [1], exact: true, note: 'kept' }));
    const later = T0 + 10 * S;
    const ids = await store.allocate(
      request({ type: 'manual', now: later, expiryTime: later + 4 * HOUR, count: 2, only: [1, 2], exact: true }),
    );
    assert.deepEqual([...ids].sort(), [1, 2]);
    const { slots } = await store.snapshot();
    assert.deepEqual(
      [1, 2].map((id) => [slots[id]!.reservation!.startTime, slots[id]!.reservation!.expiryTime]),
      [
        [T0, later + 4 * HOUR],
        [later, later + 4 * HOUR],
      ],
    );
    assert.deepEqual([slots[1]!.reservation!.note, slots[2]!.reservation!.note ?? null], ['kept', null]);
    await store.allocate(
      request({ type: 'manual', now: later, expiryTime: later + HOUR, only: [1], exact: true, note: 'new' }),
    );
    assert.equal((await store.snapshot()).slots[1]!.reservation!.note, 'new');
    await assert.rejects(
      store.allocate(request({ now: later, only: [1], exact: true })),
      /GPU 1 is already reserved by user 'alice'/,
    );
  });

  it('--gpu-ids racing for the same GPUs: one request gets all it named, the others nothing', async (store) => {
    await store.initialize(4, false, T0);
    const users = ['u0', 'u1', 'u2', 'u3', 'u4', 'u5'];
    const results = await Promise.allSettled(
      users.map((user, i) => store.allocate(request({ user, count: 2, only: i % 2 ? [2, 1] : [1, 2], exact: true }))),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    assert.equal(won.length, 1);
    assert.ok(results.every((r) => r.status === 'fulfilled' || r.reason instanceof GpusUnavailableError));
    const winner = users[results.indexOf(won[0]!)]!;
    assert.deepEqual(await holders(store, T0), [null, winner, winner, null]);
  });

  it('keeps the note of a reservation until it ends', async (store) => {
    await store.initialize(2, false, T0);
    const noted = request({ note: 'llama fine-tune' });
    await store.allocate(noted);
    assert.equal((await store.snapshot()).slots[0]!.reservation!.note, 'llama fine-tune');
    await store.releaseToken(noted.token, T0 + S);
    await store.allocate(request({ now: T0 + 2 * S, only: [0], exact: true }));
    assert.equal((await store.snapshot()).slots[0]!.reservation!.note ?? null, null);
  });

  it("releases only the named GPUs of the caller's manual reservations", async (store) => {
    await store.initialize(4, false, T0);
    await store.allocate(request({ type: 'manual', expiryTime: T0 + HOUR, count: 3 })); // 0, 1, 2
    await store.allocate(request({ user: 'bob', type: 'manual', expiryTime: T0 + HOUR })); // 3
    assert.deepEqual(await store.releaseManual('alice', T0 + S, defaultLiveness(), [1, 3]), [1]);
    assert.deepEqual(await holders(store, T0 + S), ['alice', null, 'alice', 'bob']);
  });

  it("extends every active manual reservation of the caller, and no one else's", async (store) => {
    await store.initialize(4, false, T0);
    await store.allocate(request({ type: 'manual', expiryTime: T0 + HOUR, count: 2 })); // 0, 1
    await store.allocate(request({ user: 'bob', type: 'manual', expiryTime: T0 + HOUR })); // 2
    await store.allocate(request({ type: 'run' })); // 3: alice's run is not extended
    const extended = await store.extendManual('alice', T0 + S, defaultLiveness(), 2 * HOUR);
    assert.deepEqual(
      extended.sort((a, b) => a.id - b.id),
      [
        { id: 0, expiryTime: T0 + 3 * HOUR },
        { id: 1, expiryTime: T0 + 3 * HOUR },
      ],
    );
    const { slots } = await store.snapshot();
    assert.deepEqual(
      slots.map((s) => s.reservation?.expiryTime),
      [T0 + 3 * HOUR, T0 + 3 * HOUR, T0 + HOUR, null],
    );
    assert.deepEqual(await store.extendManual('carol', T0 + S, defaultLiveness(), HOUR), []);
  });

  it('keeps the allocation policy with the pool, through a forced reinitialisation', async (store) => {
    await store.initialize(2, false, T0);
    assert.equal((await store.snapshot()).policy ?? 'lru', 'lru');
    await store.setPolicy('mru-per-user');
    assert.equal((await store.snapshot()).policy, 'mru-per-user');
    await store.initialize(3, true, T0);
    assert.equal((await store.snapshot()).policy, 'mru-per-user');
    await store.setPolicy('lru');
    assert.equal((await store.snapshot()).policy, 'lru');
  });

  it('mru-per-user gives a user back the GPUs they released most recently; lru the longest released', async (store) => {
    await store.initialize(5, false, T0);
    const hold = async (user: string, id: number, releasedAt: number) => {
      const r = request({ user, only: [id], exact: true });
      await store.allocate(r);
      await store.releaseToken(r.token, releasedAt);
    };
    await hold('bob', 0, T0 + 9 * S); // bob's, the most recent of all
    await hold('alice', 2, T0 + 2 * S);
    await hold('alice', 3, T0 + 3 * S);
    const at = T0 + 20 * S;
    const pick = (count: number, policy: 'lru' | 'mru-per-user') =>
      store.allocate(request({ count, now: at, policy, token: `probe-${policy}-${count}` }));
    const mru = await pick(2, 'mru-per-user');
    assert.deepEqual(mru, [3, 2]);
    await store.releaseToken(`probe-mru-per-user-2`, T0 + 1 * S); // back, as if released long ago
    assert.deepEqual(await pick(1, 'lru'), [1], 'never released first');
    // A manual reservation that expired counts as given back by its holder, when it ended.
    await store.allocate(request({ type: 'manual', now: at, expiryTime: at + 5 * S, only: [4], exact: true }));
    const after = at + 10 * S;
    assert.deepEqual(await store.allocate(request({ now: after, policy: 'mru-per-user' })), [4]);
  });
}
