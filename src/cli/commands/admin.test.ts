// admin, in-process: the original manual's texts, a second admin refused, --force, stores that cannot be made.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { at, NOW, statusLines, world } from '../../../test/support/world.js';
import { PoolAlreadyInitializedError, StoreUnavailableError, UsageError } from '../../domain/errors.js';
import { adminCommand } from './admin.js';
import { reserveCommand } from './reserve.js';

const w = world('admin');

test('admin initialises, refuses a second time, and reinitialises with --force', async () => {
  const m = w.machine(8);
  const first = at(m);
  assert.equal(await adminCommand({ gpus: '8', force: false }, first), 0);
  assert.deepEqual([first.out(), first.err()], ['Initialized 8 GPUs (IDs 0 to 7)\n', '']);
  assert.equal((await statusLines(m)).length, 8);
  await reserveCommand({ gpus: '2', duration: undefined }, at(m));
  const again = at(m);
  await assert.rejects(adminCommand({ gpus: '4', force: false }, again), (err: Error) => {
    assert.ok(err instanceof PoolAlreadyInitializedError);
    assert.equal(
      err.message,
      'GPU pool already initialized with 8 GPUs. Use --force to reinitialize (this clears all reservations).',
    );
    return true;
  });
  assert.equal(again.out(), '');
  assert.deepEqual((await statusLines(m)).slice(0, 3), [
    'GPU 0: IN USE by alice for 0h 0m 0s (manual, expires in 8h 0m 0s) [validated: no actual usage detected]',
    'GPU 1: IN USE by alice for 0h 0m 0s (manual, expires in 8h 0m 0s) [validated: no actual usage detected]',
    'GPU 2: AVAILABLE',
  ]);
  const forced = at(m, NOW + 60_000);
  assert.equal(await adminCommand({ gpus: '4', force: true }, forced), 0);
  // The machine has 8 GPUs: a pool of 4 leaves some out, which admin says on stderr.
  assert.equal(forced.out(), 'Force reinitializing: clearing 8 existing GPUs...\nReinitialized 4 GPUs (IDs 0 to 3)\n');
  assert.equal(
    forced.err(),
    'Warning: nvidia-smi lists 8 GPUs, but the pool has 4: ' +
      'GPUs 4 to 7 are outside the pool and never handed out\n',
  );
  // Every reservation is gone.
  assert.deepEqual(await statusLines(m, NOW + 60_000), [
    'GPU 0: AVAILABLE',
    'GPU 1: AVAILABLE',
    'GPU 2: AVAILABLE',
    'GPU 3: AVAILABLE',
  ]);
});

test('--force on a pool never set up is a plain first set-up', async () => {
  const m = w.machine(2);
  const ctx = at(m);
  assert.equal(await adminCommand({ gpus: '2', force: true }, ctx), 0);
  assert.deepEqual([ctx.out(), ctx.err()], ['Initialized 2 GPUs (IDs 0 to 1)\n', '']);
});

test("--force is for root or the store's owner: anyone else is refused in one line, and nothing changes", async () => {
  const me = process.getuid?.() ?? -1;
  const m = w.machine(2);
  await adminCommand({ gpus: '2', force: false }, at(m));
  await reserveCommand({ gpus: '1', duration: '1h' }, at(m));
  const before = await statusLines(m);
  const other = me === 0 ? 1000 : me + 1;
  const mallory = at(m, NOW, { uid: other, user: 'mallory' });
  await assert.rejects(adminCommand({ gpus: '4', force: true }, mallory), (err: Error) => {
    assert.ok(err instanceof UsageError);
    // The owner is the store file's: root here when the tests run as root, else the user running them.
    const owner = me === 0 ? 'root' : `root or ${userInfo().username} (its owner)`;
    assert.equal(
      err.message,
      `Only ${owner} may reinitialize the pool at ${m.storePath}: --force clears every user's reservations`,
    );
    return true;
  });
  assert.deepEqual(await statusLines(m), before);
  // Without --force the pool is not cleared, so anyone may ask: the answer is that it is set up.
  const again = adminCommand({ gpus: '4', force: false }, at(m, NOW, { uid: other }));
  await assert.rejects(again, PoolAlreadyInitializedError);
  // Its owner (and root) may.
  const byOwner = at(m, NOW, { uid: me });
  assert.equal(await adminCommand({ gpus: '2', force: true }, byOwner), 0);
  assert.equal(byOwner.out(), 'Force reinitializing: clearing 2 existing GPUs...\nReinitialized 2 GPUs (IDs 0 to 1)\n');
});

test('a store that cannot be created is one message naming the path, and nothing is made', async () => {
  const m = { storePath: join('/proc/version', 'x', 'state.db'), gpusPath: w.machine(2).gpusPath };
  await assert.rejects(adminCommand({ gpus: '2', force: false }, at(m)), (err: Error) => {
    assert.ok(err instanceof StoreUnavailableError);
    assert.match(err.message, /^Cannot create \/proc\/version\/x for the GPU store .*--store\.$/);
    return true;
  });
  const elsewhere = w.machine(2);
  await assert.rejects(adminCommand({ gpus: '0', force: false }, at(elsewhere)), /--gpus must be a whole number/);
  assert.equal(existsSync(elsewhere.storePath), false);
});
