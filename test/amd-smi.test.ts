// The built CLI on a machine with amd-smi and no nvidia-smi (the stand-in dist/fake-amd-smi.js on PATH):
// status reads the GPUs through amd-smi without being told, and run shows its command only its GPUs.
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ROOT, Sandbox } from '../support/sandbox.js';

describe('canhazgpu on AMD GPUs', () => {
  let box: Sandbox;
  let env: NodeJS.ProcessEnv;
  before(() => {
    box = new Sandbox();
    const amdBin = join(box.dir, 'amd-bin');
    mkdirSync(amdBin);
    symlinkSync(join(ROOT, 'dist/fake-amd-smi.js'), join(amdBin, 'amd-smi'));
    // amd-smi and node, and no nvidia-smi.
    env = { PATH: `${amdBin}:${dirname(process.execPath)}:/usr/bin:/bin` };
  });
  after(() => box.cleanup());

  test('status and run through amd-smi, chosen because it is the only GPU tool on PATH', async () => {
    box.setGpus({
      rocm: 7,
      gpus: [{}, { processes: [{ pid: 999_999_999, name: 'python3', used_memory_mib: 20_000 }] }, {}, {}],
    });
    assert.equal((await box.run(['admin', '--gpus', '4'], { env })).code, 0);
    const status = await box.run(['status'], { env });
    assert.equal(status.code, 0, status.stderr);
    assert.equal(status.stderr, '');
    assert.match(status.stdout, /^GPU 1: IN USE WITHOUT RESERVATION .*20000MB/m);
    assert.match(status.stdout, /^GPU 0: AVAILABLE/m);

    const show = 'echo "$ROCR_VISIBLE_DEVICES|$HIP_VISIBLE_DEVICES|$CUDA_VISIBLE_DEVICES"';
    const run = await box.run(['run', '--gpus', '2', '--', 'sh', '-c', show], { env });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, '0,2|0,1|0,1\n');
  });

  test('--provider amd says amd-smi in its warning when amd-smi fails', async () => {
    box.setGpus({ failure: 'no-driver', gpus: [{}, {}] });
    const r = await box.run(['--provider', 'amd', 'status'], { env });
    assert.equal(r.code, 0);
    assert.match(r.stderr, /^Warning: Could not detect GPU usage \(amd-smi unavailable\)$/m);
  });
});
