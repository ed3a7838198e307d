// The built CLI choosing and describing GPUs: --gpu-ids refusals as one line with exit 1 and nothing
// held, --json on reserve and release, run --timeout's exit status, admin --policy. The details are
// tested in-process (src/cli/commands/choose.test.ts, policy.test.ts, run-timeout.test.ts).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { poolPerTest } from './support/pool-per-test.js';

describe('canhazgpu: choosing and describing GPUs', () => {
  const sandbox = poolPerTest(4);

  const available = async () =>
    (await sandbox().run(['status'])).stdout.split('\n').filter((l) => / AVAILABLE/.test(l));

  test('reserve -G: exactly those GPUs, or one line naming each that cannot be had, exit 1, nothing held', async () => {
    const ok = await sandbox().run(['reserve', '-G', '2,0', '-n', 'ablation', '--duration', '1h']);
    assert.deepEqual([ok.code, ok.stdout, ok.stderr], [0, 'Reserved 2 GPU(s): [0, 2] for 1h 0m 0s\n', '']);
    assert.match((await sandbox().run(['status'])).stdout, /^GPU 2: IN USE by \S+ .* \[note: ablation\]$/m);
    const refused = await sandbox().run(['run', '--gpu-ids', '1,2,9', '--', 'true']);
    assert.equal(refused.code, 1);
    assert.equal(refused.stdout, '');
    assert.match(
      refused.stderr,
      /^Error: GPU 2 is already reserved by user '\S+'; GPU ID 9 is out of range \(0-3\)\n$/,
    );
    assert.equal((await available()).length, 2, 'GPU 1 was not taken');
  });

  test('reserve --json and release -G --json print one JSON object each', async () => {
    const reserved = await sandbox().run(['reserve', '--gpus', '3', '--json']);
    assert.deepEqual(JSON.parse(reserved.stdout).reserved, [0, 1, 2]);
    const released = await sandbox().run(['release', '-G', '1,2', '--json']);
    assert.deepEqual([released.code, JSON.parse(released.stdout)], [0, { released: [1, 2] }]);
    assert.equal((await available()).length, 3);
  });

  test('run --timeout: SIGTERM, then SIGKILL when ignored, release, exit 124', async () => {
    const ignoresTerm = "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)";
    const r = await sandbox().run(['run', '-t', '1s', '--kill-after', '1s', '--', process.execPath, '-e', ignoresTerm]);
    assert.equal(r.code, 124);
    assert.equal(r.stderr, 'canhazgpu: the command ran out of its 0h 0m 1s; sending SIGTERM (SIGKILL in 0h 0m 1s)\n');
    assert.equal((await available()).length, 4);
  });

  test('admin --policy: kept with the pool; a bad value is one line', async () => {
    const set = await sandbox().run(['admin', '--policy', 'mru-per-user']);
    assert.deepEqual([set.code, set.stdout], [0, 'Allocation policy: mru-per-user\n']);
    const bad = await sandbox().run(['admin', '--policy', 'random']);
    assert.deepEqual(
      [bad.code, bad.stderr],
      [1, "Error: Invalid value for '--policy': 'random' (choose lru or mru-per-user)\n"],
    );
  });
});
