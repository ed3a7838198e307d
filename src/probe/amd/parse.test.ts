// amd-smi's JSON on the fixtures of test/fixtures/amd-smi (see SOURCE.md there), ROCm 6 and 7 shapes.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ProbeUnavailableError } from '../../domain/ports.js';
import type { ProcessInfoSource } from '../process-info.js';
import { parseAmdUsage } from './amd-probe.js';
import { mib, parseGpus, parseProcesses } from './parse.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../../../test/fixtures/amd-smi/${name}`, import.meta.url), 'utf8');
const nobody: ProcessInfoSource = { describe: async () => new Map() };

test('list and metric --mem-usage join by GPU index; MB is MiB, N/A is unknown', () => {
  assert.deepEqual(parseGpus(fixture('list-4gpu-rocm6.3.json'), fixture('metric-mem-usage-rocm6.3.json')), [
    { index: 0, uuid: '7eff74a0-0000-1000-808f-7e20764e2714', name: null, memoryUsedMb: 16396, memoryTotalMb: 196592 },
    { index: 1, uuid: 'b6ff74a0-0000-1000-80ae-7c8cefe1f084', name: null, memoryUsedMb: 283, memoryTotalMb: 196592 },
    { index: 2, uuid: '36ff74a0-0000-1000-8071-25d815189854', name: null, memoryUsedMb: null, memoryTotalMb: 196592 },
    { index: 3, uuid: 'f4ff74a0-0000-1000-80c4-4c2be5e66537', name: null, memoryUsedMb: null, memoryTotalMb: null },
  ]);
});

test('recorded on real GPUs: list (a Strix Halo, kfd_id a number) and a full metric (an RX 6600) join by index', () => {
  // Two machines' answers (SOURCE.md): the GPU index is all that joins them, as on one machine.
  assert.deepEqual(parseGpus(fixture('list-1gpu-strix-halo.json'), fixture('metric-1gpu-rx6600.json')), [
    { index: 0, uuid: '00ff1586-0000-1000-8000-000000000000', name: null, memoryUsedMb: 202, memoryTotalMb: 8176 },
  ]);
});

test('a whole reading from recorded answers alone', async () => {
  const usage = await parseAmdUsage(
    fixture('list-1gpu-strix-halo.json'),
    fixture('metric-1gpu-rx6600.json'),
    fixture('process-two-processes-rocm6.2.json'),
    nobody,
  );
  assert.equal(usage.length, 1);
  assert.equal(usage[0]!.uuid, '00ff1586-0000-1000-8000-000000000000');
  assert.equal(usage[0]!.memoryUsedMb, 202);
  assert.equal(usage[0]!.memoryTotalMb, 8176);
  assert.deepEqual(
    usage[0]!.processes.map((p) => [p.pid, p.name, p.usedMemoryMb]),
    [
      [420157, 'TransferBench', 0],
      [420315, 'rvs', 0],
    ],
  );
});

test("ROCm 7's gpu_data wrapper reads as ROCm 6's bare array", () => {
  const six = parseGpus(fixture('list-4gpu-rocm6.3.json'), fixture('metric-mem-usage-rocm6.3.json'));
  const seven = parseGpus(fixture('list-2gpu-rocm7-gpu-data.json'), fixture('metric-mem-usage-rocm7-gpu-data.json'));
  assert.deepEqual(seven, six.slice(0, 2));
  assert.deepEqual(
    parseProcesses(fixture('process-rocm7-gpu-data.json')),
    parseProcesses(fixture('process-memory-usage-rocm6.3.json')),
  );
});

test('process: every process of a GPU, VRAM alone when split, none for the placeholder', () => {
  assert.deepEqual(
    [...parseProcesses(fixture('process-two-processes-rocm6.2.json'))],
    [
      [
        0,
        [
          { gpuUuid: null, pid: 420157, processName: 'TransferBench', usedMemoryMb: 0 },
          { gpuUuid: null, pid: 420315, processName: 'rvs', usedMemoryMb: 0 },
        ],
      ],
    ],
  );
  assert.deepEqual(
    [...parseProcesses(fixture('process-memory-usage-rocm6.3.json'))],
    [
      [0, [{ gpuUuid: null, pid: 4242, processName: 'python3', usedMemoryMb: 16384 }]],
      [1, []],
    ],
  );
  assert.deepEqual(
    [...parseProcesses(fixture('process-none-rocm6.3.json'))],
    [
      [0, []],
      [1, []],
    ],
  );
});

test('figures in every unit amd-smi writes, and junk as unknown', () => {
  assert.equal(mib({ value: 2 * 2 ** 20, unit: 'B' }), 2);
  assert.equal(mib({ value: 1.5, unit: 'GB' }), 1536);
  assert.equal(mib({ value: 512, unit: 'MiB' }), 512);
  assert.equal(mib('12 MB'), 12);
  for (const junk of ['N/A', null, { value: -1, unit: 'MB' }, { value: 1, unit: 'parsecs' }, { value: '7' }, []])
    assert.equal(mib(junk), null, JSON.stringify(junk));
});

test('a whole reading, and output that is not amd-smi JSON is the probe being unavailable', async () => {
  const usage = await parseAmdUsage(
    fixture('list-4gpu-rocm6.3.json'),
    fixture('metric-mem-usage-rocm6.3.json'),
    fixture('process-memory-usage-rocm6.3.json'),
    nobody,
  );
  assert.equal(usage.length, 4);
  assert.deepEqual(usage[0]!.processes, [{ pid: 4242, name: 'python3', usedMemoryMb: 16384, user: null, model: null }]);
  for (const bad of ['AMD SMI initialization failed\n', '{"other": []}', ''])
    await assert.rejects(
      parseAmdUsage(bad, fixture('metric-mem-usage-rocm6.3.json'), '[]', nobody),
      (e) => e instanceof ProbeUnavailableError && /^unexpected amd-smi list output/.test(e.message),
    );
});
