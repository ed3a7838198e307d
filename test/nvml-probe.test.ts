// The NVML probe against a stub libnvidia-ml.so.1 built here with gcc: what it reads, the fallbacks of
// older drivers, how failures map, NVML kept initialised, and the same GpuUsage as the nvidia-smi path.
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ProbeUnavailableError } from '../src/domain/ports.js';
import { renderNvidiaSmi } from '../src/probe/fake/render.js';
import type { FakeState } from '../src/probe/fake/state.js';
import { parseUsage } from '../src/probe/nvidia/nvidia-probe.js';
import { APP_QUERY_ARGS, GPU_QUERY_ARGS } from '../src/probe/nvidia/parse.js';
import { NvmlProbe } from '../src/probe/nvml/nvml-probe.js';
import type { ProcessFacts, ProcessInfoSource } from '../src/probe/process-info.js';
import { buildStub, stubDir, stubMachine, stubUnavailable } from './support/nvml-stub.js';

const skip = stubUnavailable() ?? false;
const MIB = 1048576;
let dir = '';
let full = '';
let machine = '';
let log = '';

before(() => {
  if (skip) return;
  dir = stubDir();
  full = buildStub(dir);
  machine = join(dir, 'machine.txt');
  log = join(dir, 'calls.log');
  process.env['NVML_STUB_MACHINE'] = machine;
  process.env['NVML_STUB_LOG'] = log;
});
after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** What /proc would tell, made up per pid so the test does not depend on this host's processes. */
const info: ProcessInfoSource = {
  async describe(pids) {
    const facts = (pid: number): ProcessFacts => ({ user: `user${pid}`, comm: `comm${pid}`, model: null });
    return new Map(pids.map((pid) => [pid, facts(pid)]));
  },
};

function serve(text: string): void {
  writeFileSync(machine, text);
  writeFileSync(log, '');
}
const calls = () => readFileSync(log, 'utf8').split('\n').filter(Boolean);
const probeOf = (library = full) => new NvmlProbe({ library, processInfo: info });

test('reads count, uuid, name, memory (allocated, not reserved) and processes as served', { skip }, async () => {
  serve(
    [
      `gpu GPU-11111111-2222-3333-4444-555555555555 ${143771 * MIB} ${553 * MIB} ${2575 * MIB + 4095} NVIDIA H200`,
      `proc 434 ${2566 * MIB} /usr/local/bin/python3.10`,
      'proc 435 na -',
      `gpu GPU-b ${81559 * MIB} 0 0 NVIDIA H100 80GB HBM3`,
    ].join('\n'),
  );
  const probe = probeOf();
  assert.deepEqual(await probe.probe(), [
    {
      index: 0,
      uuid: 'GPU-11111111-2222-3333-4444-555555555555',
      name: 'NVIDIA H200',
      memoryUsedMb: 2575,
      memoryTotalMb: 143771,
      processes: [
        { pid: 434, name: 'python3.10', usedMemoryMb: 2566, user: 'user434', model: null },
        // Another container's process: NVML has no name (nvidia-smi's [Not Found]), /proc may; memory N/A.
        { pid: 435, name: 'comm435', usedMemoryMb: null, user: 'user435', model: null },
      ],
    },
    { index: 1, uuid: 'GPU-b', name: 'NVIDIA H100 80GB HBM3', memoryUsedMb: 0, memoryTotalMb: 81559, processes: [] },
  ]);
  probe.close();
});

test('older drivers: _v2, then the unversioned call with the shorter v1 layout, and memory v1', { skip }, async () => {
  const text = [
    `gpu GPU-a ${1000 * MIB} ${100 * MIB} ${300 * MIB} A`,
    `proc 7 ${100 * MIB} a`,
    `proc 8 ${200 * MIB} b`,
  ];
  const expected = [
    { pid: 7, name: 'a', usedMemoryMb: 100, user: 'user7', model: null },
    { pid: 8, name: 'b', usedMemoryMb: 200, user: 'user8', model: null },
  ];
  const cases: Array<[string[], string, number]> = [
    [[], 'processes v3', 300],
    [['STUB_NO_V3'], 'processes v2', 300],
    [['STUB_NO_V3', 'STUB_NO_V2'], 'processes v1', 300],
    // Without nvmlDeviceGetMemoryInfo_v2, `used` counts the driver's reserved memory too.
    [['STUB_NO_MEMORY_V2'], 'processes v3', 400],
  ];
  for (const [defines, call, used] of cases) {
    serve(text.join('\n'));
    const probe = probeOf(defines.length ? buildStub(dir, defines) : full);
    const [gpu] = await probe.probe();
    assert.deepEqual(gpu!.processes, expected, defines.join(' '));
    assert.equal(gpu!.memoryUsedMb, used, defines.join(' '));
    assert.deepEqual(
      calls().filter((c) => c.startsWith('processes')),
      [call],
      defines.join(' '),
    );
    probe.close();
  }
});

test('INSUFFICIENT_SIZE: more processes than the first buffer, one starting between calls', { skip }, async () => {
  const many = Array.from({ length: 70 }, (_, i) => `proc ${1000 + i} ${MIB} p${i}`);
  serve(
    [
      `gpu GPU-a ${80000 * MIB} 0 ${70 * MIB} A`,
      ...many,
      `gpu GPU-b ${80000 * MIB} 0 ${MIB} B`,
      'insufficient_first',
      `proc 9 ${MIB} q`,
    ].join('\n'),
  );
  const probe = probeOf();
  const [a, b] = await probe.probe();
  assert.deepEqual(
    a!.processes.map((p) => p.pid),
    Array.from({ length: 70 }, (_, i) => 1000 + i),
  );
  assert.deepEqual(
    b!.processes.map((p) => [p.pid, p.name, p.usedMemoryMb]),
    [[9, 'q', 1]],
  );
  assert.deepEqual(
    calls().filter((c) => c.startsWith('processes')),
    Array(4).fill('processes v3'),
  );
  probe.close();
});

test("failures: nvidia-smi's markers read as no value; a GPU without a handle is left out", { skip }, async () => {
  serve(
    [
      `gpu GPU-a ${1000 * MIB} 0 ${10 * MIB} A`,
      'proc_error 3',
      `proc 1 ${MIB} x`,
      `gpu GPU-b ${1000 * MIB} 0 ${10 * MIB} B`,
      'proc_error 4',
      'memory_error 3',
      'uuid_error 4',
      'name_error 4',
      `gpu GPU-c ${1000 * MIB} 0 0 C`,
      'handle_error 4',
      `gpu GPU-d ${1000 * MIB} 0 0 D`,
    ].join('\n'),
  );
  const probe = probeOf();
  assert.deepEqual(await probe.probe(), [
    { index: 0, uuid: 'GPU-a', name: 'A', memoryUsedMb: 10, memoryTotalMb: 1000, processes: [] },
    { index: 1, uuid: null, name: null, memoryUsedMb: null, memoryTotalMb: null, processes: [] },
    { index: 3, uuid: 'GPU-d', name: 'D', memoryUsedMb: 0, memoryTotalMb: 1000, processes: [] },
  ]);
  serve(`count_error 999\ngpu GPU-a ${MIB} 0 0 A\n`);
  await assert.rejects(probe.probe(), new ProbeUnavailableError('nvmlDeviceGetCount failed: Unknown Error'));
  probe.close();
});

test('no library, no driver, a driver/library mismatch: ProbeUnavailableError with one reason', { skip }, async () => {
  await assert.rejects(
    probeOf(join(dir, 'missing', 'libnvidia-ml.so.1')).probe(),
    (err: Error) =>
      err instanceof ProbeUnavailableError && /^cannot load .*missing\/libnvidia-ml\.so\.1: /.test(err.message),
  );
  const notNvml = join(dir, 'not-nvml.so');
  writeFileSync(notNvml, 'not an ELF file');
  await assert.rejects(probeOf(notNvml).probe(), ProbeUnavailableError);
  for (const [code, why] of [
    [9, 'Driver Not Loaded'],
    [18, 'Driver/library version mismatch'],
  ] as const) {
    serve(`init ${code}\n`);
    await assert.rejects(probeOf().probe(), new ProbeUnavailableError(`nvmlInit failed: ${why}`));
  }
});

test('NVML initialised once across readings, shut down on close, retried after failing', { skip }, async () => {
  serve(`init 9\ngpu GPU-a ${MIB} 0 0 A\n`);
  const probe = probeOf();
  await assert.rejects(probe.probe(), ProbeUnavailableError);
  writeFileSync(machine, `gpu GPU-a ${MIB} 0 0 A\n`); // the driver is loaded now
  for (let i = 0; i < 3; i++) assert.equal((await probe.probe()).length, 1);
  // The machine changes under a long-lived probe: the next reading sees it without a new init.
  writeFileSync(machine, `gpu GPU-a ${MIB} 0 0 A\ngpu GPU-b ${MIB} 0 0 B\n`);
  assert.equal((await probe.probe()).length, 2);
  probe.close();
  probe.close();
  assert.deepEqual(
    calls().filter((c) => !c.startsWith('processes')),
    ['nvmlInit_v2', 'nvmlInit_v2', 'nvmlShutdown'],
  );
});

test('the same machine reads the same through NVML as through nvidia-smi (the fake rendering)', { skip }, async () => {
  const state: FakeState = {
    gpus: [
      {
        name: 'NVIDIA H200',
        memory_total_mib: 143771,
        processes: [{ pid: 434, name: '/usr/bin/python3', used_memory_mib: 2566 }],
      },
      {},
      {
        processes: [
          { pid: 500, name: 'VLLM::EngineCore', used_memory_mib: 70000 },
          { pid: 501, hidden: true },
        ],
      },
      {
        uuid: 'GPU-28780eb0-24d5-1f13-59b8-ae5c23617a72',
        memory_used_mib: 4000,
        processes: [{ pid: 9, used_memory_mib: null }],
      },
    ],
  };
  serve(stubMachine(state));
  const probe = probeOf();
  const smi = await parseUsage(
    renderNvidiaSmi(state, GPU_QUERY_ARGS).stdout,
    renderNvidiaSmi(state, APP_QUERY_ARGS).stdout,
    info,
  );
  assert.equal(smi.length, 4);
  assert.deepEqual(await probe.probe(), smi);
  probe.close();
});

test('a slow nvmlInit runs off the event loop, times out, and is not started twice', { skip }, async () => {
  serve(`init_delay_ms 600\ngpu GPU-a ${MIB} 0 0 A\n`);
  const probe = new NvmlProbe({ library: full, processInfo: info, timeoutMs: 100 });
  let ticks = 0;
  const ticker = setInterval(() => ticks++, 10);
  await assert.rejects(probe.probe(), new ProbeUnavailableError('nvmlInit timed out after 100 ms'));
  clearInterval(ticker);
  assert.ok(ticks >= 3, `the event loop ran while NVML started (${ticks} ticks)`);
  // The next reading waits for the same nvmlInit, which then succeeds.
  await assert.rejects(probe.probe(), ProbeUnavailableError);
  let usage = null;
  for (const deadline = Date.now() + 30_000; usage === null && Date.now() < deadline; ) {
    usage = await probe.probe().catch(() => null); // a loaded machine may wake the sleeping init late
  }
  assert.equal(usage?.length, 1);
  probe.close();
  assert.deepEqual(
    calls().filter((c) => !c.startsWith('processes')),
    ['nvmlInit_v2', 'nvmlShutdown'],
  );
});
