// The built CLI as users run it: a subprocess, a temporary store, the fake nvidia-smi on PATH.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { USAGE } from '../src/cli/usage.js';
import { Sandbox } from './support/sandbox.js';

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

  test('every command on a pool never initialised says to run admin, and creates nothing', async () => {
    for (const args of [['status'], ['reserve'], ['release'], ['run', '--', 'true']]) {
      const r = await box.run(args);
      assert.deepEqual([r.code, r.stdout, r.stderr], [1, '', "Error: GPU pool not initialized. Run 'canhazgpu admin --gpus <count>' first.\n"], args.join(' '));
    }
    assert.equal(existsSync(box.storePath), false);
  });

  test('admin initialises, refuses a second time, and reinitialises with --force', async () => {
    assert.deepEqual(await box.run(['admin', '--gpus', '8']), { code: 0, signal: null, stdout: 'Initialized 8 GPUs (IDs 0 to 7)\n', stderr: '' });
    const again = await box.run(['admin', '--gpus', '4']);
    assert.deepEqual([again.code, again.stdout], [1, '']);
    assert.equal(again.stderr, 'Error: GPU pool already initialized with 8 GPUs. Use --force to reinitialize (this clears all reservations).\n');
    assert.equal((await box.run(['status', '--provider', 'fake'])).stdout.split('\n').length - 1, 8);
    const forced = await box.run(['admin', '--gpus', '4', '--force']);
    assert.equal(forced.stdout, 'Force reinitializing: clearing 8 existing GPUs...\nReinitialized 4 GPUs (IDs 0 to 3)\n');
    assert.equal((await box.run(['status', '--provider', 'fake'])).stdout.split('\n').length - 1, 4);
  });

  test('bad input gets one line on stderr, exit 1, and changes nothing', async () => {
    const cases: Array<[string[], string]> = [
      [['admin'], "Error: Missing option '--gpus'. Usage: canhazgpu admin --gpus <count> [--force]\n"],
      [['admin', '--gpus', '0', '--force'], 'Error: --gpus must be a whole number of at least 1\n'],
      [['admin', '--gpus', 'eight', '--force'], "Error: Invalid value for '--gpus': 'eight' is not a valid integer.\n"],
      [['reserve', '--gpus', '-2'], 'Error: --gpus must be a whole number of at least 1\n'],
      [['reserve', '--gpus', '1.5'], "Error: Invalid value for '--gpus': '1.5' is not a valid integer.\n"],
      [['reserve', '--duration', '2hours'], 'Error: Invalid duration format. Use formats like: 30m, 2h, 1d, 0.5h\n'],
      [['reserve', '--duration', '0m'], 'Error: Invalid duration format. Use formats like: 30m, 2h, 1d, 0.5h\n'],
      [['run', 'python', 'train.py'], "Error: Missing '--' before the command. Usage: canhazgpu run --gpus <count> -- <command> [args]...\n"],
      [['run', '--gpus', '1', '--'], "Error: No command given after '--'. Usage: canhazgpu run --gpus <count> -- <command> [args]...\n"],
      [['run', 'echo', '--', 'hi'], "Error: Unexpected 'echo' before '--': the command goes after it. Usage: canhazgpu run --gpus <count> -- <command> [args]...\n"],
      [['status', '--table', '--json'], 'Error: --table and --json cannot be used together\n'],
      [['frobnicate'], "Error: Unknown command 'frobnicate'\n"],
      [['status', '--provider', 'amd'], "Error: unknown GPU provider 'amd': use nvidia, nvml, nvidia-smi or fake\n"],
      [['status', '--store', 'postgres://db/x'], "Error: unsupported store 'postgres://db/x': use sqlite:/path/to/state.db, a file path, or redis://host:port/db\n"],
    ];
    // Timers past 2^31 ms fire after 1 ms in Node: a huge timeout would make nvidia-smi always "unavailable".
    const envCases: Array<[NodeJS.ProcessEnv, string]> = [
      [{ CANHAZGPU_NVIDIA_SMI_TIMEOUT_SECONDS: '3000000' }, "Error: CANHAZGPU_NVIDIA_SMI_TIMEOUT_SECONDS must be from 0.1 to 3600, got '3000000'\n"],
      [{ CANHAZGPU_HEARTBEAT_SECONDS: '0.0001' }, "Error: CANHAZGPU_HEARTBEAT_SECONDS must be at least 0.1, got '0.0001'\n"],
    ];
    const before = (await box.run(['status', '--json', '--provider', 'fake'])).stdout;
    for (const [env, stderr] of envCases) {
      const r = await box.run(['reserve'], { env });
      assert.deepEqual([r.code, r.stdout, r.stderr], [1, '', stderr], JSON.stringify(env));
    }
    for (const [args, stderr] of cases) {
      const r = await box.run(args);
      assert.deepEqual([r.code, r.stdout, r.stderr], [1, '', stderr], args.join(' '));
    }
    assert.equal((await box.run(['status', '--json', '--provider', 'fake'])).stdout, before);
  });

  test("reserve and release print the original manual's texts", async () => {
    await box.run(['admin', '--gpus', '4', '--force']);
    box.setGpus({ gpus: [{}, {}, {}, {}] });
    const first = await box.run(['reserve', '--gpus', '2', '--duration', '4h']);
    assert.deepEqual([first.code, first.stdout, first.stderr], [0, 'Reserved 2 GPU(s): [0, 1] for 4h 0m 0s\n', '']);
    const dflt = await box.run(['reserve']);
    assert.equal(dflt.stdout, 'Reserved 1 GPU(s): [2] for 8h 0m 0s\n');
    // The original manual's Python integration parses that line.
    assert.deepEqual(first.stdout.match(/Reserved \d+ GPU\(s\): \[([^\]]+)\]/)![1]!.split(',').map((x) => Number(x.trim())), [0, 1]);
    const status = (await box.run(['status'])).stdout.split('\n');
    assert.match(status[0]!, /^GPU 0: IN USE by \S+ for 0h \d+m \d+s \(manual, expires in (?:3h 5\d+m \d+s|4h 0m 0s)\) \[validated: no actual usage detected\]$/);
    assert.match(status[2]!, /^GPU 2: IN USE by \S+ for 0h \d+m \d+s \(manual, expires in (?:7h 5\d+m \d+s|8h 0m 0s)\)/);
    assert.equal(status[3], 'GPU 3: AVAILABLE'); // no memory in use: the original says nothing of it
    assert.equal((await box.run(['release'])).stdout, 'Released 3 GPU(s): [0, 1, 2]\n');
    assert.equal((await box.run(['release'])).stdout, 'No manually reserved GPUs found for current user\n');
    assert.match((await box.run(['status'])).stdout, /^GPU 0: AVAILABLE \(last released 0h \d+m \d+s ago\)$/m);
  });

  test('GPUs in use without reservation are shown, never handed out, and counted in the error', async () => {
    await box.run(['admin', '--gpus', '4', '--force']);
    box.setGpus({ gpus: [{ processes: [HOG(12345)] }, {}, { processes: [HOG(23456, 'carol')] }, {}] });
    const tooMany = await box.run(['reserve', '--gpus', '3']);
    assert.deepEqual([tooMany.code, tooMany.stdout], [1, '']);
    assert.equal(tooMany.stderr, "Error: Not enough GPUs available. Requested: 3, Available: 2 (2 GPUs in use without reservation - run 'canhazgpu status' for details)\n");
    const run = await box.run(['run', '--gpus', '3', '--', 'true']);
    assert.equal(run.stderr, tooMany.stderr);
    assert.equal((await box.run(['reserve', '--gpus', '2'])).stdout, 'Reserved 2 GPU(s): [1, 3] for 8h 0m 0s\n');
    const full = await box.run(['reserve']);
    assert.equal(full.stderr, "Error: Not enough GPUs available. Requested: 1, Available: 0 (2 GPUs in use without reservation - run 'canhazgpu status' for details)\n");
    // The in-process fake provider shows the owners its file declares (the nvidia probe reads /proc).
    const lines = (await box.run(['status', '--provider', 'fake'])).stdout.split('\n');
    assert.equal(lines[0], 'GPU 0: IN USE WITHOUT RESERVATION by user bob - 2000MB used by PID 12345 (python3)');
    assert.equal(lines[2], 'GPU 2: IN USE WITHOUT RESERVATION by user carol - 2000MB used by PID 23456 (python3)');
    // The original manual's reminder script finds them.
    assert.equal(lines.filter((l) => l.includes('WITHOUT RESERVATION')).length, 2);
    await box.run(['release']);
    const plain = await box.run(['reserve', '--gpus', '3']);
    assert.equal(plain.stderr, "Error: Not enough GPUs available. Requested: 3, Available: 2 (2 GPUs in use without reservation - run 'canhazgpu status' for details)\n");
    box.setGpus({ gpus: [{}, {}, {}, {}] });
    await box.run(['reserve', '--gpus', '3']);
    const none = await box.run(['reserve', '--gpus', '2']);
    assert.equal(none.stderr, 'Error: Not enough GPUs available. Requested: 2, Available: 1\n');
    await box.run(['release']);
  });

  test('without nvidia-smi, status still shows reservations and allocation proceeds, each with the warning', async () => {
    await box.run(['admin', '--gpus', '2', '--force']);
    const env = { PATH: '/usr/bin:/bin', CANHAZGPU_PROVIDER: 'nvidia' };
    const warning = 'Warning: Could not detect GPU usage (nvidia-smi unavailable)\n';
    const reserve = await box.run(['reserve'], { env });
    assert.deepEqual([reserve.code, reserve.stdout, reserve.stderr], [0, 'Reserved 1 GPU(s): [0] for 8h 0m 0s\n', warning]);
    const status = await box.run(['status'], { env });
    assert.match(status.stdout, /^GPU 0: IN USE by \S+ for 0h \d+m \d+s \(manual, expires in (?:7h 5\d+m \d+s|8h 0m 0s)\)\nGPU 1: AVAILABLE\n$/);
    assert.equal(status.stderr, warning);
    for (const failure of ['no-driver', 'hang'] as const) {
      box.setGpus({ failure, gpus: [] });
      const r = await box.run(['status'], { env: { CANHAZGPU_NVIDIA_SMI_TIMEOUT_SECONDS: '0.5' } });
      assert.deepEqual([r.code, r.stderr], [0, warning], failure);
    }
    box.setGpus({ gpus: [{}, {}, {}, {}] }); // no hanging nvidia-smi left for the next test
    await box.run(['release']);
  });

  test('even a failure nobody foresaw is one line and exit 1', async () => {
    box.setGpus({ gpus: [{ processes: [null as never] }] });
    const r = await box.run(['status', '--provider', 'fake']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^Error: unexpected failure: .* \(set CANHAZGPU_DEBUG=1 for details\)\n$/);
    box.setGpus({ gpus: [{}, {}, {}, {}] });
  });

  test('a store that cannot be opened gives one line naming the path', async () => {
    const r = await box.run(['admin', '--gpus', '2', '--store', `sqlite:${join('/proc/version', 'x', 'state.db')}`]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^Error: Cannot create \/proc\/version\/x for the GPU store .*--store\.\n$/);
  });
});
