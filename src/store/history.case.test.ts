// The store contract's history cases: every ending writes its records in the step that ends it.
import assert from 'node:assert/strict';
import type { AllocationRequest } from '../domain/allocation.js';
import type { HistoryRecord } from '../domain/history.js';
import { defaultLiveness, NO_TOKENS } from '../domain/liveness.js';
import type { ReadingStore, Store } from '../domain/ports.js';

type It = (title: string, fn: (store: Store & ReadingStore) => Promise<void>) => void;
type Request = (over?: Partial<AllocationRequest>) => AllocationRequest;

const S = 1000;
const HOUR = 3_600_000;
const ALL = [0, Number.MAX_SAFE_INTEGER] as const;

/** What a record says, without its reservation id (checked apart). */
const brief = (r: HistoryRecord) => [r.user, r.gpuId, r.type, r.startTime, r.endTime, r.reason, r.note];

export function historyCases(it: It, request: Request, t0: number, reopen: (retentionMs: number) => It): void {
  it('records a released run and a released manual reservation, one record per GPU', async (store) => {
    await store.initialize(4, false, t0);
    const run = request({ count: 2 });
    await store.allocate(run);
    await store.allocate(request({ user: 'bob', type: 'manual', expiryTime: t0 + HOUR }));
    assert.deepEqual(await store.releaseToken(run.token, t0 + 60 * S), [0, 1]);
    assert.deepEqual(await store.releaseManual('bob', t0 + 90 * S, defaultLiveness()), [2]);
    const records = await store.history(...ALL);
    assert.deepEqual(records.map(brief), [
      ['alice', 0, 'run', t0, t0 + 60 * S, 'released', ''],
      ['alice', 1, 'run', t0, t0 + 60 * S, 'released', ''],
      ['bob', 2, 'manual', t0, t0 + 90 * S, 'released', ''],
    ]);
    assert.deepEqual(
      records.map((r) => r.reservationId),
      [run.token, run.token, records[2]!.reservationId],
    );
  });

  it('records the reason the holder gives (a run --timeout), and an expired manual one as expired', async (store) => {
    await store.initialize(2, false, t0);
    const run = request();
    const manual = request({ type: 'manual', expiryTime: t0 + 30 * S });
    await store.allocate(run);
    await store.allocate(manual);
    await store.releaseToken(run.token, t0 + 60 * S, 'timed_out');
    await store.releaseToken(manual.token, t0 + 90 * S);
    assert.deepEqual((await store.history(...ALL)).map(brief), [
      ['alice', 1, 'manual', t0, t0 + 30 * S, 'expired', ''],
      ['alice', 0, 'run', t0, t0 + 60 * S, 'timed_out', ''],
    ]);
  });

  it('records lapsed reservations when a grant takes their GPUs: expired, crashed and stale', async (store) => {
    await store.initialize(3, false, t0);
    await store.allocate(request({ user: 'bob', type: 'manual', expiryTime: t0 + 10 * S })); // GPU 0
    const crashed = request({ user: 'carol' }); // GPU 1
    await store.allocate(crashed);
    await store.heartbeat(crashed.token, t0 + 20 * S);
    await store.allocate(request({ user: 'dave' })); // GPU 2: its heartbeat goes stale
    const now = t0 + HOUR;
    const liveness = defaultLiveness(new Set([crashed.token]), NO_TOKENS);
    assert.deepEqual((await store.allocate(request({ count: 3, now, liveness }))).sort(), [0, 1, 2]);
    assert.deepEqual((await store.history(...ALL)).map(brief), [
      ['dave', 2, 'run', t0, t0, 'stale', ''],
      ['bob', 0, 'manual', t0, t0 + 10 * S, 'expired', ''],
      ['carol', 1, 'run', t0, t0 + 20 * S, 'crashed', ''],
    ]);
  });

  it('records what admin --force clears as forced, and a grant that fails records nothing', async (store) => {
    await store.initialize(2, false, t0);
    await store.allocate(request({ type: 'manual', expiryTime: t0 + HOUR }));
    await assert.rejects(store.allocate(request({ count: 2, now: t0 + 30 * S })));
    assert.deepEqual(await store.history(...ALL), []);
    await store.initialize(2, true, t0 + 60 * S);
    assert.deepEqual((await store.history(...ALL)).map(brief), [['alice', 0, 'manual', t0, t0 + 60 * S, 'forced', '']]);
  });

  it('answers the records that overlap a window', async (store) => {
    await store.initialize(1, false, t0);
    for (const [start, end] of [
      [0, 1],
      [2, 4],
      [5, 6],
    ] as const) {
      const r = request({ now: t0 + start * HOUR });
      await store.allocate(r);
      await store.releaseToken(r.token, t0 + end * HOUR);
    }
    const ends = (rs: HistoryRecord[]) => rs.map((r) => (r.endTime - t0) / HOUR);
    assert.deepEqual(ends(await store.history(t0 + 3 * HOUR, t0 + 5 * HOUR)), [4, 6]);
    assert.deepEqual(ends(await store.history(t0 + HOUR + 1, t0 + 2 * HOUR - 1)), []);
  });

  reopen(2 * HOUR)('drops records older than the retention when it writes', async (store) => {
    await store.initialize(1, false, t0);
    const first = request();
    await store.allocate(first);
    await store.releaseToken(first.token, t0 + HOUR);
    const second = request({ now: t0 + 3 * HOUR });
    await store.allocate(second);
    await store.releaseToken(second.token, t0 + 4 * HOUR);
    assert.deepEqual(
      (await store.history(...ALL)).map((r) => r.endTime),
      [t0 + 4 * HOUR],
    );
  });
}
