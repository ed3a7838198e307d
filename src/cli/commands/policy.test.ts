// admin --policy, in-process: kept with the pool, LRU by default, MRU-per-user giving users their own
// recently released GPUs back; only root or the pool's owner changes it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { at, NOW, S, world } from '../../../test/support/world.js';
import { UsageError } from '../../domain/errors.js';
import { adminCommand } from './admin.js';
import { releaseCommand } from './release.js';
import { reserveCommand } from './reserve.js';

const w = world('policy');

async function reserve(m: Parameters<typeof at>[0], user: string, now: number, gpuIds?: string): Promise<string> {
  const ctx = at(m, now, { user });
  assert.equal(await reserveCommand({ gpus: undefined, duration: '1h', gpuIds }, ctx), 0, ctx.err());
  return ctx.out();
}

async function release(m: Parameters<typeof at>[0], user: string, now: number) {
  assert.equal(await releaseCommand(at(m, now, { user })), 0);
}

async function policy(m: Parameters<typeof at>[0], value: string): Promise<string> {
  const ctx = at(m);
  assert.equal(await adminCommand({ gpus: undefined, force: false, policy: value }, ctx), 0, ctx.err());
  return ctx.out();
}

test('LRU by default; mru-per-user gives alice back the GPU she released last, bob still gets the LRU one', async () => {
  const m = w.machine(4);
  await adminCommand({ gpus: '4', force: false }, at(m, NOW - 60 * S));
  await reserve(m, 'alice', NOW, '2');
  await release(m, 'alice', NOW + S);
  await reserve(m, 'bob', NOW + S, '0');
  await release(m, 'bob', NOW + 2 * S);
  // LRU: never released first.
  assert.equal(await reserve(m, 'alice', NOW + 5 * S), 'Reserved 1 GPU(s): [1] for 1h 0m 0s\n');
  await release(m, 'alice', NOW + 6 * S); // 1 is now alice's most recent
  assert.equal(await policy(m, 'mru-per-user'), 'Allocation policy: mru-per-user\n');
  assert.equal(await reserve(m, 'alice', NOW + 10 * S), 'Reserved 1 GPU(s): [1] for 1h 0m 0s\n');
  assert.equal(await reserve(m, 'alice', NOW + 10 * S), 'Reserved 1 GPU(s): [2] for 1h 0m 0s\n');
  assert.equal(await reserve(m, 'carol', NOW + 10 * S), 'Reserved 1 GPU(s): [3] for 1h 0m 0s\n', 'never released');
  await release(m, 'alice', NOW + 11 * S);
  assert.equal(await reserve(m, 'bob', NOW + 12 * S), 'Reserved 1 GPU(s): [0] for 1h 0m 0s\n');
  await policy(m, 'lru');
  assert.equal(await reserve(m, 'alice', NOW + 13 * S), 'Reserved 1 GPU(s): [1] for 1h 0m 0s\n');
});

test('admin --policy at set-up; a bad value or a caller who does not own the pool is refused', async () => {
  const m = w.machine(2);
  const ctx = at(m);
  assert.equal(await adminCommand({ gpus: '2', force: false, policy: 'mru-per-user' }, ctx), 0);
  assert.equal(ctx.out(), 'Initialized 2 GPUs (IDs 0 to 1)\nAllocation policy: mru-per-user\n');
  await assert.rejects(adminCommand({ gpus: undefined, force: false, policy: 'fifo' }, at(m)), {
    message: "Invalid value for '--policy': 'fifo' (choose lru or mru-per-user)",
  });
  await assert.rejects(
    adminCommand({ gpus: undefined, force: false, policy: 'lru' }, at(m, NOW, { uid: 4242, user: 'mallory' })),
    (e: Error) => e instanceof UsageError && /^Only root may change the policy of the pool at /.test(e.message),
  );
  const fresh = w.machine(2);
  await assert.rejects(adminCommand({ gpus: undefined, force: false, policy: 'lru' }, at(fresh)), /not initialized/);
});
