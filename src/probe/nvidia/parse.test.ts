// The nvidia-smi parsers on outputs recorded on real machines (fixtures/), each with what it must yield.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { numberCell, parseCsv, textCell } from './csv.js';
import { executableName, NvidiaSmiOutputError, parseAppRows, parseGpuRows } from './parse.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const H200_UUID = 'GPU-bcbfd08f-ef5f-f490-df35-8e255c209216';

test('H200 (recorded for canhazgpu): our exact GPU query, idle and busy, with and without header', () => {
  const idle = { index: 0, uuid: H200_UUID, name: 'NVIDIA H200', memoryUsedMb: 0, memoryTotalMb: 143771 };
  assert.deepEqual(parseGpuRows(fixture('h200-580.159.04/gpu-idle-noheader.txt')), [idle]);
  assert.deepEqual(parseGpuRows(fixture('h200-580.159.04/gpu-idle-header.txt')), [idle]);
  const busy = { ...idle, memoryUsedMb: 2575 };
  assert.deepEqual(parseGpuRows(fixture('h200-580.159.04/gpu-busy-noheader.txt')), [busy]);
  assert.deepEqual(parseGpuRows(fixture('h200-580.159.04/gpu-busy-header.txt')), [busy]);
});

test('H200 (recorded for canhazgpu): our exact process query; no processes prints nothing at all', () => {
  const app = { gpuUuid: H200_UUID, pid: 434, processName: 'python3', usedMemoryMb: 2566 };
  assert.deepEqual(parseAppRows(fixture('h200-580.159.04/apps-busy-noheader.txt')), [app]);
  assert.deepEqual(parseAppRows(fixture('h200-580.159.04/apps-busy-header.txt')), [app]);
  assert.equal(fixture('h200-580.159.04/apps-idle-noheader.txt'), '');
  assert.deepEqual(parseAppRows(fixture('h200-580.159.04/apps-idle-noheader.txt')), []);
  assert.deepEqual(parseAppRows(fixture('h200-580.159.04/apps-idle-header.txt')), []);
});

test('H200 (recorded for canhazgpu): the process query while a python process held memory unreserved', () => {
  assert.deepEqual(parseAppRows(fixture('h200-580.159.04/apps-unreserved-python.txt')), [
    { gpuUuid: 'GPU-058f2550-5001-b93b-adbd-606efd0bfcf9', pid: 1291, processName: 'python3', usedMemoryMb: 2566 },
  ]);
});

test('8x A100 with header and units', () => {
  const rows = parseGpuRows(fixture('public/query-gpu-8x-a100-header-units.txt'));
  assert.equal(rows.length, 8);
  assert.deepEqual(rows[0], {
    index: 0,
    uuid: null,
    name: 'NVIDIA A100-SXM4-80GB',
    memoryUsedMb: 66147,
    memoryTotalMb: 81920,
  });
  assert.deepEqual(
    rows.map((r) => r.memoryUsedMb),
    [66147, 77105, 50803, 57421, 76651, 0, 6313, 6247],
  );
});

test("8x B200 without header, in that query's own field order", () => {
  const rows = parseGpuRows(fixture('public/query-gpu-8x-b200-units-noheader.txt'), [
    'index',
    'name',
    'memory.total',
    'memory.used',
  ]);
  assert.deepEqual(rows[5], { index: 5, uuid: null, name: 'NVIDIA B200', memoryUsedMb: 171176, memoryTotalMb: 183359 });
});

test('8x H200 with uuids, and its processes including one another container hides ([Not Found])', () => {
  const gpus = parseGpuRows(fixture('public/query-gpu-8x-h200-uuid-header-units.txt'));
  assert.equal(gpus[7]!.uuid, 'GPU-28780eb0-24d5-1f13-59b8-ae5c23617a72');
  const apps = parseAppRows(fixture('public/compute-apps-8x-h200-not-found-container.txt'));
  assert.equal(apps.length, 8);
  assert.deepEqual(apps[7], {
    gpuUuid: 'GPU-28780eb0-24d5-1f13-59b8-ae5c23617a72',
    pid: 1758887,
    processName: null,
    usedMemoryMb: 58060,
  });
  assert.equal(apps[0]!.processName, '/usr/local/bin/python3.10');
});

test('GB10 unified memory prints [N/A] for memory', () => {
  const rows = parseGpuRows(fixture('public/query-gpu-gb10-na-memory.txt'));
  assert.deepEqual(rows, [{ index: 0, uuid: null, name: 'NVIDIA GB10', memoryUsedMb: null, memoryTotalMb: null }]);
});

test('2018 driver: names without the NVIDIA prefix, columns found by header', () => {
  const rows = parseGpuRows(fixture('public/query-gpu-mixed-old-names-index-uuid.txt'));
  assert.deepEqual(
    rows.map((r) => [r.index, r.name]),
    [
      [0, 'GeForce GTX 1060 6GB'],
      [1, 'GeForce GTX 1080 Ti'],
      [2, 'GeForce GTX 1060 6GB'],
      [3, 'GeForce GTX 1060 6GB'],
      [4, 'GeForce GTX 1060 6GB'],
    ],
  );
  assert.equal(rows[4]!.uuid, 'GPU-ff3318a7-f0dd-dc57-1fb8-cc95ba35c56e');
});

test('markers: [Insufficient Permissions], [Not Supported] and unbracketed N/A read as no value', () => {
  const mig = parseCsv(fixture('public/query-gpu-mig-container-insufficient-permissions.txt'), [
    'name',
    'memory.used',
    'temperature.gpu',
  ]);
  assert.equal(textCell(mig.rows[0]!['name']), 'NVIDIA A100-SXM4-80GB');
  assert.equal(numberCell(mig.rows[0]!['memory.used']), null);
  assert.equal(numberCell(mig.rows[0]!['temperature.gpu']), 47);
  const old = parseCsv(fixture('public/query-gpu-not-supported-old-driver.txt'), [
    'memory.total',
    'memory.free',
    'memory.used',
    'temperature.gpu',
    'fan.speed',
    'utilization.gpu',
    'utilization.memory',
  ]);
  assert.equal(numberCell(old.rows[0]!['memory.total']), 2004);
  assert.equal(numberCell(old.rows[0]!['fan.speed']), null);
  const fields =
    'power.limit,power.min_limit,power.max_limit,memory.total,vbios_version,driver_version,name,gpu_uuid,power.draw,temperature.gpu,temperature.memory,clocks.current.graphics,clocks.sm,clocks.mem,utilization.gpu,utilization.memory,fan.speed,pcie.link.width.current,pstate'.split(
      ',',
    );
  const r440 = parseCsv(fixture('public/query-gpu-unbracketed-na-driver-440.txt'), fields).rows[0]!;
  assert.equal(numberCell(r440['temperature.memory']), null);
  assert.equal(numberCell(r440['memory.total']), 7979);
  assert.equal(textCell(r440['name']), 'GeForce RTX 2080');
});

test('H100 with MIG on the host: processes carry the parent GPU uuid and their memory', () => {
  const apps = parseAppRows(fixture('public/compute-apps-h100-mig-enabled.txt'));
  assert.deepEqual(
    apps.map((a) => [a.pid, a.processName, a.usedMemoryMb]),
    [
      [21180, '/root/tools/memhog', 2296],
      [21181, '/root/tools/memhog', 1272],
      [21198, './gpu_burn', 7484],
    ],
  );
  assert.ok(apps.every((a) => a.gpuUuid === 'GPU-00000000-0000-0000-0000-000000000000'));
  assert.deepEqual(parseAppRows(fixture('public/compute-apps-header-only-no-processes.txt')), []);
});

test('process names with spaces, backslashes, unicode, quotes and the ? a driver puts for a comma', () => {
  const win = parseAppRows(fixture('public/compute-apps-windows-wddm-na-paths-with-spaces.txt'));
  assert.equal(win.length, 21);
  assert.ok(win.every((a) => a.usedMemoryMb === null));
  assert.equal(win[7]!.processName, 'C:\\Program Files\\NVIDIA Corporation\\NVIDIA App\\CEF\\NVIDIA Overlay.exe');
  assert.equal(executableName(win[7]!.processName!), 'NVIDIA Overlay.exe');
  const names = parseAppRows(fixture('public/compute-apps-process-names-unicode-quotes-comma.txt')).map(
    (a) => a.processName,
  );
  assert.deepEqual(names, [
    '/root/tools/memhog',
    '/root/tools/memhög ünïcode',
    '/root/tools/mem? hog',
    '/root/tools/mem "q" hog',
    './gpu_burn',
  ]);
  assert.equal(executableName('/root/tools/mem? hog'), 'mem? hog');
});

test('header names that differ from the query: used_memory prints as used_gpu_memory [MiB]', () => {
  const apps = parseAppRows(fixture('public/compute-apps-used-memory-alias-header.txt'));
  assert.deepEqual(apps, [
    { gpuUuid: null, pid: 3858903, processName: 'VLLM::EngineCore', usedMemoryMb: 6265 },
    { gpuUuid: null, pid: 3880364, processName: 'VLLM::EngineCore', usedMemoryMb: 5530 },
  ]);
});

test('rows the driver hides entirely are dropped; a visible pid with hidden name and memory is kept', () => {
  assert.deepEqual(parseAppRows(fixture('public/compute-apps-mig-container-all-insufficient-permissions.txt')), []);
  const rows = parseAppRows(fixture('public/compute-apps-insufficient-permissions-windows-host.txt'), [
    'pid',
    'process_name',
    'gpu_uuid',
    'used_memory',
  ]);
  assert.deepEqual(rows, [
    { gpuUuid: 'GPU-0e7f33ad-cc4a-7a1a-e9a4-7dd69f9032ab', pid: 4, processName: null, usedMemoryMb: null },
  ]);
});

test('an old driver that prints a literal comma in a process name still parses', () => {
  const rows = parseAppRows('GPU-1, 77, /tmp/my model, v2/serve, 1200\n');
  assert.deepEqual(rows, [{ gpuUuid: 'GPU-1', pid: 77, processName: '/tmp/my model, v2/serve', usedMemoryMb: 1200 }]);
});

test('driver failure texts and unknown fields are errors, not GPUs', () => {
  for (const name of [
    'public/error-no-driver.txt',
    'public/error-no-devices-found.txt',
    'public/error-driver-library-version-mismatch.txt',
    'h200-580.159.04/bad-field.txt',
  ]) {
    assert.throws(() => parseGpuRows(fixture(name)), NvidiaSmiOutputError, name);
  }
});
