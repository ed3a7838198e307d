// The built CLI as users run it: a subprocess, a temporary store, the stand-in nvidia-smi on PATH. What
// the commands print is tested in-process beside them (src/cli/**/*.test.ts); here, what needs the binary:
// its argv, exit codes and last-resort error line, and nvidia-smi found through PATH.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { USAGE } from '../src/cli/usage.js';
import { Sandbox } from '../support/sandbox.js';

const HOG = (pid: number, user = 'bob') => ({ pid, name: '/usr/bin/python3', used_memory_mib: 2000, user });

describe('canhazgpu CLI', () => {
  let box: Sandbox;
  before(() => {
    box = new Sandbox();
  });
  after(() => box.cleanup());

  test("with no command or --help prints the original manual's usage block", async () => {
    for (const args of [[], ['--help']]) {
      const r = await box.run(args);
      assert.equal(r.code, 0);
      assert.ok(r.stdout.startsWith(USAGE), r.stdout);
      assert.ok(USAGE.includes('  run      Reserve GPUs and run a command with CUDA_VISIBLE_DEVICES set\n'));
    }
  });

  test('errors are one line on stderr and exit 1, from the parser, the settings and the commands', async () => {
    const cases: Array<[string[], NodeJS.ProcessEnv, string]> = [
      [['status'], {}, "Error: GPU pool not initialized. Run 'canhazgpu admin --gpus <count>' first.\n"],
      [['frobnicate'], {}, "Error: Unknown command 'frobnicate'\n"],
      [
        ['run', 'python', 'train.py'],
        {},
        "Error: Missing '--' before the command. Usage: canhazgpu run --gpus <count> -- <command> [args]...\n",
      ],
      [
        ['reserve'],
        { CANHAZGPU_HEARTBEAT_SECONDS: '0.0001' },
        "Error: CANHAZGPU_HEARTBEAT_SECONDS must be at least 0.1, got '0.0001'\n",
      ],
    ];
    for (const [args, env, stderr] of cases) {
      const r = await box.run(args, { env });
      assert.deepEqual([r.code, r.signal, r.stdout, r.stderr], [1, null, '', stderr], args.join(' '));
    }
    assert.equal(existsSync(box.storePath), false);
  });

  test('nvidia-smi through PATH: GPUs in use without reservation are left out; a hung one is a warning', async () => {
    box.setGpus({ gpus: [{ processes: [HOG(12345)] }, {}, { processes: [HOG(23456, 'carol')] }, {}] });
    const ok = (stdout: string) => ({ code: 0, signal: null, stdout, stderr: '' });
    assert.deepEqual(await box.run(['admin', '--gpus', '4']), ok('Initialized 4 GPUs (IDs 0 to 3)\n'));
    const tooMany = await box.run(['reserve', '--gpus', '3']);
    assert.deepEqual([tooMany.code, tooMany.stdout], [1, '']);
    assert.equal(
      tooMany.stderr,
      'Error: Not enough GPUs available. Requested: 3, Available: 2 ' +
        "(2 GPUs in use without reservation - run 'canhazgpu status' for details)\n",
    );
    assert.deepEqual(await box.run(['reserve', '--gpus', '2']), ok('Reserved 2 GPU(s): [1, 3] for 8h 0m 0s\n'));
    assert.equal((await box.run(['release'])).stdout, 'Released 2 GPU(s): [1, 3]\n');
    const warning = 'Warning: Could not detect GPU usage (nvidia-smi unavailable)\n';
    const missing = await box.run(['reserve'], { env: { PATH: '/usr/bin:/bin' } });
    assert.deepEqual({ ...missing, stderr: '' }, ok('Reserved 1 GPU(s): [0] for 8h 0m 0s\n'));
    assert.equal(missing.stderr, warning);
    box.setGpus({ failure: 'hang', gpus: [] });
    const hung = await box.run(['status'], { env: { CANHAZGPU_NVIDIA_SMI_TIMEOUT_SECONDS: '0.5' } });
    assert.deepEqual([hung.code, hung.stderr], [0, warning]);
    assert.match(
      hung.stdout,
      /^GPU 0: IN USE by \S+ for 0h \d+m \d+s \(manual, expires in (?:7h 5\d+m \d+s|8h 0m 0s)\)/,
    );
  });

  test('even a failure nobody foresaw is one line and exit 1', async () => {
    box.setGpus({ gpus: [{ processes: [null as never] }] });
    const r = await box.run(['status', '--provider', 'fake']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^Error: unexpected failure: .* \(set CANHAZGPU_DEBUG=1 for details\)\n$/);
    box.setGpus({ gpus: [{}, {}, {}, {}] });
  });
});
