// A pool set up larger than the machine (`admin --gpus 6` where nvidia-smi lists 4): admin warns, status
// marks the GPUs that do not exist, and allocation never hands them out, while the probe can read.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { testContext } from '../../test/support/context.js';
import { NotEnoughGpusError } from '../domain/errors.js';
import { ProbeUnavailableError } from '../domain/ports.js';
import { adminCommand } from './commands/admin.js';
import { reserveCommand } from './commands/reserve.js';
import { statusCommand } from './commands/status.js';

const dir = mkdtempSync(join(tmpdir(), 'canhazgpu-missing-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const NOW = 1_800_000_000_000;
let n = 0;

/** A fresh store path in a directory of its own (as admin wants) and a machine of `gpus` idle GPUs. */
function machine(gpus: number) {
  const paths = { storePath: join(dir, `p${++n}`, 'state.db'), gpusPath: join(dir, `g${n}.json`) };
  writeFileSync(paths.gpusPath, JSON.stringify({ gpus: Array.from({ length: gpus }, () => ({})) }));
  return paths;
}

const unreadable = {
  toolName: 'nvidia-smi',
  probe: async () => {
    throw new ProbeUnavailableError('gone');
  },
};

test('admin warns when nvidia-smi lists another number of GPUs, and says nothing when it cannot read', async () => {
  const paths = machine(4);
  const wide = testContext({ ...machine(2), now: NOW });
  await adminCommand({ gpus: '5', force: false }, wide);
  assert.equal(
    wide.err(),
    'Warning: nvidia-smi lists 2 GPUs, but the pool has 5: ' +
      'GPUs 2 to 4 are not found by nvidia-smi and never handed out\n',
  );
  const larger = testContext({ ...paths, now: NOW });
  assert.equal(await adminCommand({ gpus: '6', force: false }, larger), 0);
  assert.equal(larger.out(), 'Initialized 6 GPUs (IDs 0 to 5)\n');
  assert.equal(
    larger.err(),
    'Warning: nvidia-smi lists 4 GPUs, but the pool has 6: ' +
      'GPUs 4 and 5 are not found by nvidia-smi and never handed out\n',
  );
  const smaller = testContext({ ...paths, now: NOW });
  await adminCommand({ gpus: '3', force: true }, smaller);
  assert.equal(
    smaller.err(),
    'Warning: nvidia-smi lists 4 GPUs, but the pool has 3: ' + 'GPU 3 is outside the pool and never handed out\n',
  );
  const same = testContext({ ...paths, now: NOW });
  await adminCommand({ gpus: '4', force: true }, same);
  assert.equal(same.err(), '');
  const blind = testContext({ ...paths, now: NOW });
  blind.probe = unreadable;
  await adminCommand({ gpus: '8', force: true }, blind);
  assert.equal(blind.err(), '');
});

test('status marks the GPUs nvidia-smi does not list, in text, table and JSON', async () => {
  const paths = machine(2);
  await adminCommand({ gpus: '3', force: false }, testContext({ ...paths, now: NOW }));
  const text = testContext({ ...paths, now: NOW });
  await statusCommand({ table: false, json: false }, text);
  assert.equal(text.out(), 'GPU 0: AVAILABLE\nGPU 1: AVAILABLE\nGPU 2: AVAILABLE [not found by nvidia-smi]\n');
  const table = testContext({ ...paths, now: NOW });
  await statusCommand({ table: true, json: false }, table);
  assert.match(table.out().split('\n')[4]!, /^2 +available +free +not found by nvidia-smi$/);
  const json = testContext({ ...paths, now: NOW });
  await statusCommand({ table: false, json: true }, json);
  const rows: Array<{ not_found_by_probe: boolean }> = JSON.parse(json.out());
  assert.deepEqual(
    rows.map((r) => r.not_found_by_probe),
    [false, false, true],
  );
  // When nvidia-smi cannot read, nothing is known missing: the lines are as before.
  const blind = testContext({ ...paths, now: NOW });
  blind.probe = unreadable;
  await statusCommand({ table: false, json: false }, blind);
  assert.equal(blind.out(), 'GPU 0: AVAILABLE\nGPU 1: AVAILABLE\nGPU 2: AVAILABLE\n');
});

test('allocation leaves out GPUs nvidia-smi does not list and counts them in the error', async () => {
  const paths = machine(4);
  await adminCommand({ gpus: '6', force: false }, testContext({ ...paths, now: NOW }));
  const tooMany = testContext({ ...paths, now: NOW });
  await assert.rejects(
    reserveCommand({ gpus: '5', duration: '1h' }, tooMany),
    (e) =>
      e instanceof NotEnoughGpusError &&
      e.message ===
        'Not enough GPUs available. Requested: 5, Available: 4 ' +
          "(2 GPUs not found by nvidia-smi - run 'canhazgpu status' for details)",
  );
  const all = testContext({ ...paths, now: NOW });
  await reserveCommand({ gpus: '4', duration: '1h' }, all);
  assert.equal(all.out(), 'Reserved 4 GPU(s): [0, 1, 2, 3] for 1h 0m 0s\n');
  // While nvidia-smi cannot read, the pool is all there is to go by, as before.
  const blind = testContext({ ...paths, now: NOW });
  blind.probe = unreadable;
  await reserveCommand({ gpus: '2', duration: '1h' }, blind);
  assert.equal(blind.out(), 'Reserved 2 GPU(s): [4, 5] for 1h 0m 0s\n');
});
