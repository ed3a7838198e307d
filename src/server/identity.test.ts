import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiError } from './errors.js';
import { RateLimiter } from './identity.js';

test('a rate limiter allows a burst of twice the rate, refills, and forgets callers whose bucket filled up again', () => {
  let now = 1_000_000;
  const limiter = new RateLimiter(5, () => now);
  for (let i = 0; i < 10; i++) limiter.take('key:a');
  assert.throws(() => limiter.take('key:a'), (e) => e instanceof ApiError && e.code === 'RESOURCE_EXHAUSTED');
  now += 200;
  limiter.take('key:a');
  // 20,000 one-off callers (a spray of made-up emails) do not stay in memory once their buckets refill.
  for (let i = 0; i < 20_000; i++) limiter.take(`email:${i}@example.com`);
  assert.ok(limiter.tracked > 10_000);
  now += 2_000;
  limiter.take('key:b');
  assert.ok(limiter.tracked <= 2, `${limiter.tracked} buckets kept`);
});
