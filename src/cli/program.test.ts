// The command line in-process, wired as the binary wires it: bad input is one line on stderr, exit 1,
// and changes nothing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cliWithEnv } from '../../test/support/cli.js';
import { world } from '../../test/support/world.js';

const w = world('program');

test('bad input gets one line on stderr, exit 1, and changes nothing', async () => {
  const m = w.machine(4);
  const env = {
    HOME: w.dir,
    CANHAZGPU_STORE: m.storePath,
    CANHAZGPU_PROVIDER: 'fake',
    CANHAZGPU_FAKE_GPUS: m.gpusPath,
  };
  const cli = (args: string[], extra: NodeJS.ProcessEnv = {}) => cliWithEnv(args, { ...env, ...extra });
  assert.equal((await cli(['admin', '--gpus', '4'])).code, 0);
  assert.equal((await cli(['reserve', '--gpus', '2'])).code, 0);
  const usage = 'Usage: canhazgpu run --gpus <count> -- <command> [args]...';
  const invalidDuration = 'Error: Invalid duration format. Use formats like: 30m, 2h, 1d, 0.5h\n';
  const cases: Array<[string[], string]> = [
    [['admin'], "Error: Missing option '--gpus'. Usage: canhazgpu admin --gpus <count> [--force]\n"],
    [['admin', '--gpus', '0', '--force'], 'Error: --gpus must be a whole number of at least 1\n'],
    [['admin', '--gpus', 'eight', '--force'], "Error: Invalid value for '--gpus': 'eight' is not a valid integer.\n"],
    [
      ['admin', '--gpus', '8'],
      'Error: GPU pool already initialized with 4 GPUs. Use --force to reinitialize (this clears all reservations).\n',
    ],
    [['reserve', '--gpus', '-2'], 'Error: --gpus must be a whole number of at least 1\n'],
    [['reserve', '--gpus', '1.5'], "Error: Invalid value for '--gpus': '1.5' is not a valid integer.\n"],
    [['reserve', '--duration', '2hours'], invalidDuration],
    [['reserve', '--duration', '0m'], invalidDuration],
    [['reserve', '--duration', '-1h'], invalidDuration],
    [['reserve', '--gpus', '3'], 'Error: Not enough GPUs available. Requested: 3, Available: 2\n'],
    [['run', 'python', 'train.py'], `Error: Missing '--' before the command. ${usage}\n`],
    [['run', '--gpus', '1', '--'], `Error: No command given after '--'. ${usage}\n`],
    [['run', 'echo', '--', 'hi'], `Error: Unexpected 'echo' before '--': the command goes after it. ${usage}\n`],
    [['run', '--gpus', 'two', '--', 'true'], "Error: Invalid value for '--gpus': 'two' is not a valid integer.\n"],
    [['status', '--table', '--json'], 'Error: --table and --json cannot be used together\n'],
    [['frobnicate'], "Error: Unknown command 'frobnicate'\n"],
    [
      ['status', '--provider', 'intel'],
      "Error: unknown GPU provider 'intel': use nvidia, nvml, nvidia-smi, amd or fake\n",
    ],
    [
      ['status', '--store', 'postgres://db/x'],
      "Error: unsupported store 'postgres://db/x': use sqlite:/path/to/state.db, a file path, " +
        'or redis://host:port/db\n',
    ],
  ];
  // Timers past 2^31 ms fire after 1 ms in Node: a huge timeout would make nvidia-smi always "unavailable".
  const envCases: Array<[NodeJS.ProcessEnv, string]> = [
    [
      { CANHAZGPU_NVIDIA_SMI_TIMEOUT_SECONDS: '3000000' },
      "Error: CANHAZGPU_NVIDIA_SMI_TIMEOUT_SECONDS must be from 0.1 to 3600, got '3000000'\n",
    ],
    [
      { CANHAZGPU_HEARTBEAT_SECONDS: '0.0001' },
      "Error: CANHAZGPU_HEARTBEAT_SECONDS must be at least 0.1, got '0.0001'\n",
    ],
  ];
  const before = (await cli(['status', '--json'])).stdout;
  assert.match(before, /"user": ?"\w+"/);
  for (const [extra, stderr] of envCases) {
    const r = await cli(['reserve'], extra);
    assert.deepEqual([r.code, r.stdout, r.stderr], [1, '', stderr], JSON.stringify(extra));
  }
  for (const [args, stderr] of cases) {
    const r = await cli(args);
    assert.deepEqual([r.code, r.stdout, r.stderr], [1, '', stderr], args.join(' '));
  }
  assert.equal((await cli(['status', '--json'])).stdout, before);
});

test('a store that cannot be opened gives one line naming the path', async () => {
  const r = await cliWithEnv(['admin', '--gpus', '2', '--store', 'sqlite:/proc/version/x/state.db'], { HOME: w.dir });
  assert.deepEqual([r.code, r.stdout], [1, '']);
  assert.match(r.stderr, /^Error: Cannot create \/proc\/version\/x for the GPU store .*--store\.\n$/);
});

test('global options before the command, in both forms, still reach the one command defined', async () => {
  const m = w.machine(2);
  const env = { HOME: w.dir, CANHAZGPU_FAKE_GPUS: m.gpusPath };
  const store = m.storePath;
  assert.equal((await cliWithEnv(['--store', store, '--provider', 'fake', 'admin', '--gpus', '2'], env)).code, 0);
  const r = await cliWithEnv([`--store=${store}`, '--provider=fake', 'status'], env);
  assert.deepEqual([r.code, r.stdout], [0, 'GPU 0: AVAILABLE\nGPU 1: AVAILABLE\n']);
  // A word that is no command falls back to every command, so the error is commander's own.
  const typo = await cliWithEnv(['--store', store, 'statu'], env);
  assert.deepEqual([typo.code, typo.stderr], [1, "Error: Unknown command 'statu'\n(Did you mean status?)\n"]);
});
