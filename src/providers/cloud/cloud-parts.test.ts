// The parts the marketplaces share: key rotation and back-off, the listing cache, the creation limit.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BAD_KEY_REST_MS, KeyRing } from './keys.js';
import { ConcurrencyLimit } from '../../domain/concurrency-limit.js';
import { ListingCache } from './listing-cache.js';

test('keys: a refused key rests, a rate-limited one backs off doubling, and messages name positions only', () => {
  let t = 0;
  const ring = new KeyRing(['alpha', 'beta'], { now: () => t });
  assert.deepEqual(ring.pick(), { index: 0, key: 'alpha' });
  ring.refused(0, 401);
  assert.deepEqual(ring.pick(), { index: 1, key: 'beta' });
  ring.rateLimited(1, null);
  assert.equal(ring.pick(), null);
  assert.equal(ring.readyIn(), 1_000);
  t += 1_000;
  assert.deepEqual(ring.pick(), { index: 1, key: 'beta' });
  ring.rateLimited(1, null); // again, without a success in between: twice as long
  assert.equal(ring.readyIn(), 2_000);
  assert.equal(ring.describe(), 'key #1 refused (401), key #2 rate limited (429)');
  assert.equal(ring.redact('bad key alpha, then beta'), 'bad key key #1, then key #2');
  t += BAD_KEY_REST_MS; // the refused key is tried again
  assert.deepEqual(ring.pick(), { index: 0, key: 'alpha' });
  ring.rateLimited(0, 30_000); // Retry-After, when a provider sends one
  ring.rateLimited(1, null);
  assert.equal(ring.readyIn(), 4_000);
});

test('listing cache: callers in flight share one load, kept for its age; a failure is not kept', async () => {
  let t = 0;
  const cache = new ListingCache<number>({ now: () => t }, 5_000);
  let loads = 0;
  const load = async () => ++loads;
  assert.deepEqual(await Promise.all([cache.get('a', load), cache.get('a', load)]), [1, 1]);
  t += 4_999;
  assert.equal(await cache.get('a', load), 1);
  t += 1;
  assert.equal(await cache.get('a', load), 2);
  await assert.rejects(
    cache.get('b', async () => {
      throw new Error('down');
    }),
  );
  assert.equal(await cache.get('b', load), 3);
});

test('limiter: at most N run at once, the rest in order', async () => {
  const limiter = new ConcurrencyLimit(2);
  let running = 0;
  let peak = 0;
  const order: number[] = [];
  const opens: Array<() => void> = [];
  const gates = Array.from({ length: 5 }, () => new Promise<void>((resolve) => opens.push(resolve)));
  const jobs = gates.map((gate, n) =>
    limiter.run(async () => {
      peak = Math.max(peak, ++running);
      await gate;
      running--;
      order.push(n);
    }),
  );
  for (const open of opens) open();
  await Promise.all(jobs);
  assert.equal(peak, 2);
  assert.deepEqual(order, [0, 1, 2, 3, 4]);
});
