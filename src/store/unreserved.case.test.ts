// The store contract's unreserved-use cases: seconds of GPU use seen without a reservation, per user and hour.
import assert from 'node:assert/strict';
import type { ReadingStore, Store } from '../domain/ports.js';
import type { UnreservedUse } from '../domain/unreserved.js';

type It = (title: string, fn: (store: Store & ReadingStore) => Promise<void>) => void;

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const sorted = (uses: UnreservedUse[]) =>
  [...uses].sort((a, b) => a.hourStart - b.hourStart || (a.user < b.user ? -1 : a.user > b.user ? 1 : 0));

export function unreservedCases(it: It, t0: number, reopen: (retentionMs: number) => It): void {
  it('adds unreserved use per user and hour, and reads back the hours that overlap a window', async (store) => {
    assert.deepEqual(await store.unreserved(0, Number.MAX_SAFE_INTEGER), []);
    await store.addUnreserved([{ user: 'bob', hourStart: t0, seconds: 1.5 }], t0);
    await store.addUnreserved(
      [
        { user: 'bob', hourStart: t0, seconds: 2 },
        { user: 'a|b c', hourStart: t0, seconds: 60 },
        { user: 'bob', hourStart: t0 + DAY, seconds: 30 },
      ],
      t0 + DAY,
    );
    assert.deepEqual(sorted(await store.unreserved(t0, t0 + DAY)), [
      { user: 'a|b c', hourStart: t0, seconds: 60 },
      { user: 'bob', hourStart: t0, seconds: 3.5 },
      { user: 'bob', hourStart: t0 + DAY, seconds: 30 },
    ]);
    // An hour overlapping the window's start by a minute is in it; one ending at its start is not.
    assert.deepEqual(
      sorted(await store.unreserved(t0 + HOUR - 60_000, t0 + 2 * HOUR)).map((u) => u.seconds),
      [60, 3.5],
    );
    assert.deepEqual(await store.unreserved(t0 + HOUR, t0 + DAY - 1), []);
  });

  reopen(2 * DAY)('keeps an hour that ended just inside the retention', async (store) => {
    await store.addUnreserved([{ user: 'bob', hourStart: t0, seconds: 10 }], t0);
    // The hour [t0, t0 + 1 h) ended exactly the retention ago: still in.
    await store.addUnreserved([{ user: 'carol', hourStart: t0 + 2 * DAY, seconds: 5 }], t0 + 2 * DAY + HOUR);
    assert.deepEqual(sorted(await store.unreserved(0, Number.MAX_SAFE_INTEGER)), [
      { user: 'bob', hourStart: t0, seconds: 10 },
      { user: 'carol', hourStart: t0 + 2 * DAY, seconds: 5 },
    ]);
  });

  reopen(2 * DAY)('drops the hours older than the retention as it adds', async (store) => {
    await store.addUnreserved([{ user: 'bob', hourStart: t0, seconds: 10 }], t0);
    await store.addUnreserved([{ user: 'carol', hourStart: t0 + 4 * DAY, seconds: 5 }], t0 + 4 * DAY);
    assert.deepEqual(await store.unreserved(0, Number.MAX_SAFE_INTEGER), [
      { user: 'carol', hourStart: t0 + 4 * DAY, seconds: 5 },
    ]);
  });
}
