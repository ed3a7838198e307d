// This host's pool as a provider: a GPU of the pool that nvidia-smi does not list is never offered.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { NotEnoughGpusError } from '../../domain/errors.js';
import { ProbeUnavailableError, type GpuProbe } from '../../domain/ports.js';
import { FakeProbe } from '../../probe/fake/fake-probe.js';
import { SqliteStore } from '../../store/sqlite/sqlite-store.js';
import { PoolService } from '../../pool/pool-service.js';
import { runProviderContract } from '../contract.case.test.js';
import { LocalProvider } from './local-provider.js';

const dir = mkdtempSync(join(tmpdir(), 'canhazgpu-local-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const NOW = 1_800_000_000_000;

async function provider(probe: GpuProbe, name: string): Promise<{ local: LocalProvider; store: SqliteStore }> {
  const store = SqliteStore.create(join(dir, name, 'state.db'));
  await store.initialize(3, false, NOW);
  const clock = { now: () => NOW };
  const pool = new PoolService({
    store,
    probe,
    clock,
    owners: { state: () => 'unknown' },
    staleAfterMs: 300_000,
    inUseThresholdMb: 1024,
  });
  const local = new LocalProvider({ pool, clock, pricePerGpuHour: () => 0 });
  return { local, store };
}

test('a pool larger than the machine offers only the GPUs nvidia-smi lists, and creates no other', async () => {
  const gpusPath = join(dir, 'two.json');
  writeFileSync(gpusPath, JSON.stringify({ gpus: [{}, {}] }));
  const { local, store } = await provider(new FakeProbe(gpusPath), 'two');
  try {
    const offered = await local.available();
    assert.deepEqual(
      offered.map((i) => i.metadata['gpu_id']),
      ['0', '1'],
    );
    const ghost = { ...offered[0]!, metadata: { gpu_id: '2' } };
    const notFound = (e: unknown) => e instanceof NotEnoughGpusError && e.notFound === 1;
    await assert.rejects(local.create(ghost, 'api:eve@example.com', 60_000), notFound);
  } finally {
    await store.close();
  }
});

test('while nvidia-smi cannot read, every free GPU of the pool is offered, as before', async () => {
  const blind: GpuProbe = {
    toolName: 'nvidia-smi',
    probe: async () => {
      throw new ProbeUnavailableError('gone');
    },
  };
  const { local, store } = await provider(blind, 'blind');
  try {
    assert.deepEqual(
      (await local.available()).map((i) => i.metadata['gpu_id']),
      ['0', '1', '2'],
    );
  } finally {
    await store.close();
  }
});

let fixtures = 0;
runProviderContract('local', {
  open: async () => {
    const name = `contract-${++fixtures}`;
    const gpusPath = join(dir, `${name}.json`);
    writeFileSync(gpusPath, JSON.stringify({ gpus: [{}, {}, {}] }));
    const { local, store } = await provider(new FakeProbe(gpusPath), name);
    return { provider: local, close: () => store.close() };
  },
});
