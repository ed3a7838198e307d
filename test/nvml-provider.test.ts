// Choosing the GPU probe: `nvidia` is NVML when the library loads and nvidia-smi otherwise; `nvml` and
// `nvidia-smi` are that one alone. The built CLI reads the same machine alike through either.
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { resolveConfig } from '../src/cli/config.js';
import { probeFor } from '../src/cli/context.js';
import { ProbeUnavailableError } from '../src/domain/ports.js';
import type { FakeState } from '../src/probe/fake/state.js';
import { buildStub, stubDir, stubMachine, stubUnavailable } from './support/nvml-stub.js';
import { Sandbox } from '../support/sandbox.js';

const skip = stubUnavailable() ?? false;
// Pids no process has (above the usual pid_max), so /proc tells both probes the same: nothing.
const STATE: FakeState = {
  gpus: [
    {},
    { processes: [{ pid: 4190001, name: '/usr/bin/python3', used_memory_mib: 30000 }] },
    {
      name: 'NVIDIA H200',
      memory_total_mib: 143771,
      processes: [{ pid: 4190002, hidden: true, used_memory_mib: 900 }],
    },
    {},
  ],
};

describe('provider selection', () => {
  let dir = '';
  let stub = '';
  let box: Sandbox;
  const missing = () => join(dir, 'none', 'libnvidia-ml.so.1');
  before(() => {
    box = new Sandbox();
    box.setGpus(STATE);
    if (skip) return;
    dir = stubDir();
    stub = buildStub(dir);
    writeFileSync(join(dir, 'machine.txt'), stubMachine(STATE));
  });
  after(() => {
    box.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  const config = (provider: string, library: string) =>
    resolveConfig({ provider }, { HOME: box.dir, CANHAZGPU_NVML_LIBRARY: library });

  test('config: the five providers, the library from CANHAZGPU_NVML_LIBRARY or nvml_library', () => {
    for (const p of ['nvidia', 'nvml', 'nvidia-smi', 'amd', 'fake']) {
      assert.equal(resolveConfig({ provider: p }, { HOME: box.dir }).provider, p);
    }
    const intel = () => resolveConfig({ provider: 'intel' }, { HOME: box.dir });
    assert.throws(intel, { message: "unknown GPU provider 'intel': use nvidia, nvml, nvidia-smi, amd or fake" });
    assert.equal(resolveConfig({}, { HOME: box.dir }).nvmlLibrary, undefined);
    const file = join(box.dir, 'c.json');
    writeFileSync(file, JSON.stringify({ nvml_library: '/opt/nvml/libnvidia-ml.so.1' }));
    assert.equal(resolveConfig({ config: file }, {}).nvmlLibrary, '/opt/nvml/libnvidia-ml.so.1');
    assert.equal(resolveConfig({ config: file }, { CANHAZGPU_NVML_LIBRARY: '/x.so' }).nvmlLibrary, '/x.so');
  });

  test('nvidia: NVML when the library loads, nvidia-smi when it does not; nvml alone says why', { skip }, async () => {
    process.env['NVML_STUB_MACHINE'] = join(dir, 'machine.txt');
    const best = probeFor(config('nvidia', stub));
    assert.equal(best.toolName, 'NVML');
    assert.equal((await best.probe()).length, 4);
    best.close?.();
    assert.equal(probeFor(config('nvidia', missing())).toolName, 'nvidia-smi');
    assert.equal(probeFor(config('nvidia-smi', stub)).toolName, 'nvidia-smi');
    const nvml = probeFor(config('nvml', missing()));
    assert.equal(nvml.toolName, 'NVML');
    const cannotLoad = (e: Error) => e instanceof ProbeUnavailableError && /^cannot load /.test(e.message);
    await assert.rejects(nvml.probe(), cannotLoad);
  });

  test('the built CLI: status through NVML equals status through nvidia-smi, same machine', { skip }, async () => {
    await box.run(['admin', '--gpus', '4', '--force']);
    const env = { CANHAZGPU_NVML_LIBRARY: stub, NVML_STUB_MACHINE: join(dir, 'machine.txt') };
    const smi = await box.run(['status', '--json', '--provider', 'nvidia-smi'], { env });
    assert.equal(smi.stderr, '');
    assert.match(smi.stdout, /4190001/);
    for (const provider of ['nvml', 'nvidia']) {
      const r = await box.run(['status', '--json', '--provider', provider], { env });
      assert.deepEqual([r.code, r.stdout, r.stderr], [0, smi.stdout, ''], provider);
    }
  });

  test('the warnings name the tool: NVML for nvml, the original text when nvidia falls back', async () => {
    const nvml = await box.run(['status', '--provider', 'nvml']);
    assert.equal(nvml.stderr, 'Warning: Could not detect GPU usage (NVML unavailable)\n');
    const bare = await box.run(['status'], { env: { PATH: '/usr/bin:/bin' } });
    assert.equal(bare.stderr, 'Warning: Could not detect GPU usage (nvidia-smi unavailable)\n');
  });
});
