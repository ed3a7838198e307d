// Both probes against the recorded formats: the fake must print what real drivers print, and the
// nvidia probe must read real recordings, a live fake nvidia-smi, and every way nvidia-smi fails.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { FAKE_SMI } from '../../support/sandbox.js';
import { ProbeUnavailableError } from '../domain/ports.js';
import { FakeProbe } from './fake/fake-probe.js';
import { renderNvidiaSmi } from './fake/render.js';
import type { FakeState } from './fake/state.js';
import { NvidiaSmiProbe } from './nvidia/nvidia-probe.js';
import { APP_QUERY_ARGS, GPU_QUERY_ARGS } from './nvidia/parse.js';

const dir = mkdtempSync(join(tmpdir(), 'canhazgpu-probe-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const recorded = (name: string) =>
  readFileSync(new URL(`./nvidia/fixtures/h200-580.159.04/${name}`, import.meta.url), 'utf8');
const H200_UUID = 'GPU-bcbfd08f-ef5f-f490-df35-8e255c209216';
const h200 = (processes: FakeState['gpus'][number]['processes'], used: number): FakeState => ({
  gpus: [{ name: 'NVIDIA H200', uuid: H200_UUID, memory_total_mib: 143771, memory_used_mib: used, processes }],
});
/** `npm run test:unit` runs without a build: the tests of the built stand-in nvidia-smi wait for `npm test`. */
const unbuilt = !existsSync(FAKE_SMI) && 'needs npm run build (dist/fake-nvidia-smi.js)';
const withFormat = (args: string[], format: string) =>
  args.map((a) => (a.startsWith('--format=') ? `--format=${format}` : a));

test('the fake prints byte for byte what the H200 printed, idle and busy, with and without header', () => {
  const idle = h200([], 0);
  const busy = h200([{ pid: 434, name: 'python3', used_memory_mib: 2566 }], 2575);
  const cases: Array<[FakeState, string[], string]> = [
    [idle, GPU_QUERY_ARGS, 'gpu-idle-noheader.txt'],
    [idle, withFormat(GPU_QUERY_ARGS, 'csv'), 'gpu-idle-header.txt'],
    [busy, GPU_QUERY_ARGS, 'gpu-busy-noheader.txt'],
    [busy, withFormat(GPU_QUERY_ARGS, 'csv'), 'gpu-busy-header.txt'],
    [idle, APP_QUERY_ARGS, 'apps-idle-noheader.txt'],
    [idle, withFormat(APP_QUERY_ARGS, 'csv'), 'apps-idle-header.txt'],
    [busy, APP_QUERY_ARGS, 'apps-busy-noheader.txt'],
    [busy, withFormat(APP_QUERY_ARGS, 'csv'), 'apps-busy-header.txt'],
    [idle, ['-L'], 'smi-L.txt'],
  ];
  for (const [state, args, file] of cases) assert.equal(renderNvidiaSmi(state, args).stdout, recorded(file), file);
  const bad = renderNvidiaSmi(idle, ['--query-gpu=index,no_such_field', '--format=csv,noheader,nounits']);
  assert.deepEqual([bad.stdout, bad.exitCode], [recorded('bad-field.txt'), Number(recorded('bad-field.rc'))]);
});

/** A stand-in nvidia-smi that replays two recorded outputs. */
function replaySmi(gpuFile: string, appFile: string): string {
  const script = join(dir, `replay-${Math.random().toString(36).slice(2)}.sh`);
  writeFileSync(
    script,
    `#!/bin/sh\ncase "$*" in\n  *--query-gpu=*) cat '${gpuFile}' ;;\n  *--query-compute-apps=*) cat '${appFile}' ;;\nesac\n`,
  );
  chmodSync(script, 0o755);
  return script;
}

test('the nvidia probe reads the recorded H200 outputs', async () => {
  const fixtures = new URL('./nvidia/fixtures/h200-580.159.04/', import.meta.url).pathname;
  const probe = new NvidiaSmiProbe({
    command: replaySmi(`${fixtures}gpu-busy-noheader.txt`, `${fixtures}apps-busy-noheader.txt`),
  });
  const [gpu] = await probe.probe();
  assert.equal(gpu!.memoryUsedMb, 2575);
  assert.deepEqual(
    gpu!.processes.map((p) => [p.pid, p.name, p.usedMemoryMb]),
    [[434, 'python3', 2566]],
  );
});

test('the nvidia probe names the owner and model of a live process from /proc', { skip: unbuilt }, async () => {
  const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
  const server = spawn(process.execPath, ['-e', 'setTimeout(()=>{}, 30000)', 'vllm', 'serve', 'org/Some-Model-7B'], {
    stdio: 'ignore',
  });
  try {
    const state: FakeState = {
      gpus: [
        { processes: [{ pid: server.pid!, name: process.execPath, used_memory_mib: 5000 }] },
        {
          processes: [
            { pid: sleeper.pid!, name: '/usr/bin/sleep', used_memory_mib: 300 },
            { pid: 999_999_999, hidden: true, used_memory_mib: 900 },
          ],
        },
      ],
    };
    const file = join(dir, 'live.json');
    writeFileSync(file, JSON.stringify(state));
    process.env['CANHAZGPU_FAKE_GPUS'] = file;
    const usage = await new NvidiaSmiProbe({ command: FAKE_SMI }).probe();
    delete process.env['CANHAZGPU_FAKE_GPUS'];
    const me = userInfo().username;
    assert.deepEqual(usage[0]!.processes, [
      { pid: server.pid, name: 'node', usedMemoryMb: 5000, user: me, model: 'org/Some-Model-7B' },
    ]);
    assert.deepEqual(usage[1]!.processes, [
      { pid: sleeper.pid, name: 'sleep', usedMemoryMb: 300, user: me, model: null },
      { pid: 999_999_999, name: null, usedMemoryMb: 900, user: null, model: null },
    ]);
    assert.equal(usage[1]!.memoryUsedMb, 1200);
  } finally {
    sleeper.kill();
    server.kill();
  }
});

test('every way nvidia-smi fails is ProbeUnavailableError with the reason', { skip: unbuilt }, async () => {
  const failing = async (state: FakeState | null, command: string, timeoutMs = 5000) => {
    const file = join(dir, `fail-${Math.random()}.json`);
    if (state) writeFileSync(file, JSON.stringify(state));
    process.env['CANHAZGPU_FAKE_GPUS'] = file;
    try {
      await new NvidiaSmiProbe({ command, timeoutMs }).probe();
      assert.fail('expected the probe to fail');
    } catch (err) {
      assert.ok(err instanceof ProbeUnavailableError, String(err));
      return err.message;
    } finally {
      delete process.env['CANHAZGPU_FAKE_GPUS'];
    }
  };
  assert.match(await failing(null, join(dir, 'no-such-nvidia-smi')), /not found/);
  assert.match(
    await failing({ failure: 'no-driver', gpus: [] }, FAKE_SMI),
    /NVIDIA-SMI has failed because it couldn't communicate/,
  );
  assert.match(await failing({ failure: 'no-devices', gpus: [] }, FAKE_SMI), /No devices were found/);
  assert.match(await failing({ failure: 'version-mismatch', gpus: [] }, FAKE_SMI), /Driver\/library version mismatch/);
  assert.match(await failing({ failure: 'hang', gpus: [] }, FAKE_SMI, 300), /timed out after 300 ms/);
  const junk = join(dir, 'junk.sh');
  writeFileSync(junk, '#!/bin/sh\necho "this is not csv"\n');
  chmodSync(junk, 0o755);
  assert.match(await failing(null, junk), /unexpected nvidia-smi output: this is not csv/);
});

test('the fake provider shows the users and command lines its file declares', async () => {
  const file = join(dir, 'declared.json');
  writeFileSync(
    file,
    JSON.stringify({
      gpus: [
        {
          processes: [
            { pid: 12345, name: 'python3', used_memory_mib: 2048, user: 'bob', cmdline: ['vllm', 'serve', 'x/y'] },
          ],
        },
        {},
      ],
    }),
  );
  const usage = await new FakeProbe(file).probe();
  assert.deepEqual(usage[0]!.processes, [
    { pid: 12345, name: 'python3', usedMemoryMb: 2048, user: 'bob', model: 'x/y' },
  ]);
  assert.equal(usage.length, 2);
  assert.equal((await new FakeProbe(join(dir, 'absent.json')).probe()).length, 8);
  writeFileSync(file, '{ not json');
  await assert.rejects(new FakeProbe(file).probe(), ProbeUnavailableError);
});
