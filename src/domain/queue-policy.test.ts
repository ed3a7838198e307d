import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { QueueEntry } from './queue.js';
import { admit, earliestStart, estimatedStarts, type QueueSituation } from './queue-policy.js';

const NOW = 1_000_000;
const HOUR = 3_600_000;
const waiter = (id: string, count: number, extra: Partial<QueueEntry> = {}): QueueEntry => ({
  id,
  user: `u-${id}`,
  actualUser: `u-${id}`,
  count,
  requestedIds: null,
  type: 'run',
  durationMs: null,
  note: null,
  enqueuedAt: NOW,
  lastHeartbeat: NOW,
  waitUntil: null,
  ours: true,
  ...extra,
});
/** 8 GPUs: `free` ones free now, the others held until `held` says (null: a run with no end). */
function pool(free: number[], held: Record<number, number | null>, waiters: QueueEntry[]): QueueSituation {
  const ends = new Map<number, number | null>();
  for (const id of free) ends.set(id, NOW);
  for (const [id, end] of Object.entries(held)) ends.set(Number(id), end);
  return { now: NOW, free, ends, waiters };
}
const plain = (count: number, endsAt: number | null = null) => ({ id: 'new', count, requestedIds: null, endsAt });

test('a request that does not wait never takes GPUs a 4-GPU head needs: 1-GPU requests cannot starve it', () => {
  const head = waiter('head', 4);
  const s = pool([0, 1, 2], { 3: null, 4: null, 5: null, 6: null, 7: null }, [head]);
  const a = admit(s, plain(1));
  assert.equal(a.grant, null);
  assert.deepEqual(a.allowed, []);
  assert.deepEqual(a.blockers, [head]);
  assert.equal(a.position, 2);
});

test('a head that fits takes its GPUs first; a later request takes what is left', () => {
  const head = waiter('head', 2);
  const s = pool([5, 0, 1], { 2: null }, [head]);
  assert.deepEqual(admit(s, plain(1)).grant, [1]);
  assert.deepEqual(admit(s, { id: 'head', count: 2, requestedIds: null, endsAt: null }).grant, [5, 0]);
  assert.equal(admit(s, plain(2)).grant, null);
});

test('a later waiter waits behind an earlier one even when it alone would fit (mixed sizes, strict order)', () => {
  const w = [waiter('a', 3), waiter('b', 1), waiter('c', 2)];
  const s = pool([0, 1], { 2: null, 3: null }, w);
  assert.equal(admit(s, { id: 'b', count: 1, requestedIds: null, endsAt: null }).grant, null);
  assert.equal(admit(s, { id: 'c', count: 2, requestedIds: null, endsAt: null }).grant, null);
  assert.equal(admit(s, { id: 'b', count: 1, requestedIds: null, endsAt: null }).position, 2);
});

test('backfill: a request ending before the head can start goes ahead; one ending after does not', () => {
  const head = waiter('head', 3);
  // GPU 2 frees in 2 h (a manual reservation): the head starts then at the earliest.
  const s = pool([0, 1], { 2: NOW + 2 * HOUR, 3: null }, [head]);
  assert.equal(earliestStart(head, s.ends), NOW + 2 * HOUR);
  const short = admit(s, plain(1, NOW + HOUR));
  assert.deepEqual(short.grant, [0]);
  assert.deepEqual(short.passed, [head]);
  assert.equal(admit(s, plain(1, NOW + 3 * HOUR)).grant, null);
  assert.equal(admit(s, plain(1, null)).grant, null, 'a run without a declared end never backfills');
});

test('no backfill when the head waits on reservations with no known end', () => {
  const s = pool([0, 1], { 2: null, 3: null }, [waiter('head', 3)]);
  assert.equal(admit(s, plain(1, NOW + 60_000)).grant, null);
});

test('a waiter for exact ids keeps only those; others may take the rest', () => {
  const head = waiter('head', 2, { requestedIds: [1, 3] });
  const s = pool([0, 1, 2], { 3: null }, [head]);
  const a = admit(s, plain(2));
  assert.deepEqual(a.grant, [0, 2]);
  assert.deepEqual(a.passed, []);
  assert.equal(admit(s, { id: 'x', count: 1, requestedIds: [1], endsAt: null }).grant, null);
});

test('estimated starts serve the queue in order on the declared ends', () => {
  const w = [waiter('a', 2, { durationMs: HOUR, type: 'manual' }), waiter('b', 2)];
  const s = pool([0], { 1: NOW + HOUR, 2: NOW + 3 * HOUR, 3: null }, w);
  const starts = estimatedStarts(s);
  assert.equal(starts.get('a'), NOW + HOUR);
  // a holds GPUs 0 and 1 until NOW + 2h; b needs two of them: 2h from now.
  assert.equal(starts.get('b'), NOW + 2 * HOUR);
  assert.equal(estimatedStarts(pool([], { 0: null }, [waiter('c', 1)])).get('c'), null);
});
