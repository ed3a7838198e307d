import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cachedUserNames } from './users.js';

test("a caller's name is looked up once a minute, however many connections ask at once", async () => {
  let lookups = 0;
  let clock = 0;
  const nameOf = cachedUserNames(
    60_000,
    async (uids) => {
      lookups++;
      return new Map(uids.filter((u) => u === 1000).map((u) => [u, 'alice']));
    },
    () => clock,
  );
  const names = await Promise.all(Array.from({ length: 100 }, () => nameOf(1000)));
  assert.deepEqual([new Set(names), lookups], [new Set(['alice']), 1]);
  assert.equal(await nameOf(1001), 'uid:1001');
  clock = 59_999;
  await nameOf(1000);
  assert.equal(lookups, 2);
  clock = 60_000;
  await nameOf(1000);
  assert.equal(lookups, 3, 'looked up again once the answer is a minute old');
});
