import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiError } from './errors.js';
import { PasswordGate } from './password-gate.js';

test('a password gate runs 2 checks at once, queues a few more, and refuses the rest at once', async () => {
  const gate = new PasswordGate(2, 3);
  let running = 0;
  let most = 0;
  const finish: Array<() => void> = [];
  const check = () =>
    new Promise<string>((resolve) => {
      most = Math.max(most, ++running);
      finish.push(() => {
        running--;
        resolve('checked');
      });
    });
  const calls = Array.from({ length: 8 }, () => gate.run(check).catch((e: unknown) => e));
  await new Promise((r) => setImmediate(r));
  assert.equal(running, 2);
  const later = new Promise((r) => setTimeout(r, 100, 'waiting'));
  const refused = (await Promise.race([Promise.all(calls.slice(5)), later])) as unknown[];
  assert.ok(Array.isArray(refused), 'the 6th to 8th are answered before any check ends');
  assert.ok(refused.every((e) => e instanceof ApiError && e.code === 'RESOURCE_EXHAUSTED'));
  while (finish.length > 0) {
    finish.shift()!();
    await new Promise((r) => setImmediate(r));
  }
  assert.deepEqual(await Promise.all(calls.slice(0, 5)), Array(5).fill('checked'));
  assert.equal(most, 2);
});
