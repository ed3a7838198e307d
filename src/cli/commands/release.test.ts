// release, in-process: the caller's manual reservations end; other users' and runs stay.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { at, NOW, S, statusLines, world } from '../../../test/support/world.js';
import { openPool } from '../pool.js';
import { adminCommand } from './admin.js';
import { releaseCommand } from './release.js';
import { reserveCommand } from './reserve.js';

const w = world('release');

test("release ends only the caller's manual reservations", async () => {
  const m = w.machine(4);
  await adminCommand({ gpus: '4', force: false }, at(m, NOW - 60 * S));
  await reserveCommand({ gpus: '1', duration: '1h' }, at(m, NOW, { user: 'bob' }));
  await reserveCommand({ gpus: '2', duration: '1h' }, at(m));
  // A run of alice's: `run` ends it, not `release`.
  const pool = await openPool(at(m));
  const owner = at(m).ownerOf(1);
  await pool.allocate({ count: 1, user: 'alice', type: 'run', durationMs: null, token: randomUUID(), owner });
  await pool.store.close();
  const carols = at(m, NOW + 5 * S, { user: 'carol' });
  await releaseCommand(carols);
  assert.equal(carols.out(), 'No manually reserved GPUs found for current user\n');
  const mine = at(m, NOW + 5 * S);
  assert.equal(await releaseCommand(mine), 0);
  assert.deepEqual([mine.out(), mine.err()], ['Released 2 GPU(s): [1, 2]\n', '']);
  const lines = await statusLines(m, NOW + 10 * S);
  assert.deepEqual(lines.slice(0, 3), [
    'GPU 0: IN USE by bob for 0h 0m 10s (manual, expires in 0h 59m 50s) [validated: no actual usage detected]',
    'GPU 1: AVAILABLE (last released 0h 0m 5s ago)',
    'GPU 2: AVAILABLE (last released 0h 0m 5s ago)',
  ]);
  assert.match(lines[3]!, /^GPU 3: IN USE by alice for 0h 0m 10s \(run, last heartbeat 0h 0m 10s ago\)/);
});
