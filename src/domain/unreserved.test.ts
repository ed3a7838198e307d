import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StatusRow } from './status.js';
import { HOUR_MS, readingGapMs, toUnreservedUse, unreservedHours, unreservedUse } from './unreserved.js';
import type { GpuUsage } from './usage.js';

const T0 = 1_800_000_000_000; // an hour's start
const gpu = (index: number, users: (string | null)[]): GpuUsage =>
  ({
    index,
    memoryUsedMb: 4000,
    processes: users.map((user, pid) => ({ pid, user, name: 'python3', memoryMb: 2000 })),
  }) as unknown as GpuUsage;
const unreserved = (index: number, users: (string | null)[]): StatusRow =>
  ({ gpuId: index, state: 'unreserved', usage: gpu(index, users), notFound: false }) as StatusRow;
const reserved = (index: number, users: string[]): StatusRow =>
  ({ gpuId: index, state: 'reserved', usage: gpu(index, users), notFound: false }) as unknown as StatusRow;

test('a reading stands for the time since the previous one, at most a minute, and nothing without one', () => {
  assert.equal(readingGapMs(null, T0), 0);
  assert.equal(readingGapMs(T0, T0 + 1000), 1000);
  assert.equal(readingGapMs(T0, T0 + 10 * HOUR_MS), 60_000);
  assert.equal(readingGapMs(T0, T0 - 1000), 0); // a clock set back adds nothing
});

test('each user on an unreserved GPU adds the gap once per GPU; reserved GPUs add nothing', () => {
  const rows = [unreserved(0, ['bob', 'bob', 'carol']), unreserved(1, ['bob', null]), reserved(2, ['alice'])];
  assert.deepEqual(unreservedUse(rows, T0 + 30_000, 2000), [
    { user: 'bob', hourStart: T0, seconds: 4 },
    { user: 'carol', hourStart: T0, seconds: 2 },
    { user: 'unknown', hourStart: T0, seconds: 2 },
  ]);
  assert.deepEqual(unreservedUse(rows, T0, 0), []);
  // The span counts in the hour it began.
  assert.equal(unreservedUse(rows, T0 + 10_000, 60_000)[0]!.hourStart, T0 - HOUR_MS);
});

test('GPU-hours in a window count an hour partly inside for that part', () => {
  const uses = [
    { user: 'bob', hourStart: T0, seconds: 3600 },
    { user: 'bob', hourStart: T0 + HOUR_MS, seconds: 1800 },
    { user: 'carol', hourStart: T0 - HOUR_MS, seconds: 3600 },
  ];
  assert.deepEqual([...unreservedHours(uses, T0 + HOUR_MS / 4, T0 + 2 * HOUR_MS)], [['bob', 0.75 + 0.5]]);
  assert.deepEqual([...unreservedHours(uses, 0, T0)], [['carol', 1]]);
});

test('use read back from a store others write is checked', () => {
  assert.deepEqual(toUnreservedUse('bob', '7200000', '1.5'), { user: 'bob', hourStart: 7_200_000, seconds: 1.5 });
  for (const [u, h, s] of [
    ['', 0, 1],
    [3, 0, 1],
    ['bob', 'x', 1],
    ['bob', 0, -1],
    ['bob', 0, 'NaN'],
  ])
    assert.equal(toUnreservedUse(u, h, s), null);
});
