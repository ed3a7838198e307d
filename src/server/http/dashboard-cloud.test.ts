import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { GpuInstance } from '../../domain/instances.js';
import { memoryRecords } from '../records/memory/memory-records.js';
import type { CloudState, ServerReservation } from '../records/ports.js';
import { dashboardReservations } from './dashboard-cloud.js';

const NOW = 1_800_000_000_000;
const HOUR = 3_600_000;

const offer = (id: string, metadata: Record<string, string> = {}): GpuInstance => ({
  id,
  provider: 'vast.ai',
  status: 'running',
  pricePerHour: 2,
  vramGb: 24,
  gpuModel: 'RTX 4090',
  numGpus: 1,
  location: 'eu',
  metadata,
});

async function setUp() {
  const records = memoryRecords();
  const user = await records.addUser('ann@example.com', 'ann', false, null, NOW);
  const record = async (id: string, contractId: string | null, state: CloudState) => {
    await records.addCloudReservation({
      id,
      userId: user.id,
      provider: 'vast.ai',
      offer: offer(`o-${id}`),
      pricePerHour: 2,
      createdAt: NOW - HOUR,
      expiresAt: NOW + HOUR,
      state: 'creating',
      contractId: null,
      updatedAt: NOW - HOUR,
      error: null,
    });
    if (contractId) await records.setCloudContract(id, contractId, NOW - HOUR);
    if (state !== 'creating') await records.moveCloudReservation(id, ['creating'], state, NOW - HOUR);
  };
  const active = (contractId: string, instance: GpuInstance): ServerReservation => ({
    contractId,
    provider: instance.provider,
    userId: user.id,
    instance,
    pricePerHour: instance.pricePerHour,
    createdAt: NOW - HOUR,
    expiresAt: NOW + HOUR,
    endedAt: null,
  });
  return { records, record, active };
}

test('each held reservation with its record state, its provider status and how to connect', async () => {
  const { records, record, active } = await setUp();
  await record('r1', 'c1', 'running');
  await record('r2', 'c2', 'destroying');
  const rows = await dashboardReservations(
    [
      active('c1', { ...offer('c1', { ssh_host: 'ssh4.vast.ai', ssh_port: '4022' }), status: 'loading' }),
      active('c2', offer('c2')),
      active('local-1', { ...offer('local-1'), provider: 'local', status: 'reserved', pricePerHour: 0 }),
    ],
    records,
    NOW,
  );
  assert.deepEqual(
    rows.map((r) => [r.contract_id, r.user, r.state, r.status, r.connect, r.cost_so_far]),
    [
      ['c1', 'ann', 'running', 'loading', 'ssh -p 4022 root@ssh4.vast.ai', 2],
      ['c2', 'ann', 'destroying', 'running', '-', 2],
      ['local-1', 'ann', 'running', 'reserved', 'this host', 0],
    ],
  );
});

test('a creation the marketplace has not answered yet is listed too, without a contract or a way in', async () => {
  const { records, record } = await setUp();
  await record('r3', null, 'creating');
  await record('r4', 'c4', 'failed'); // over: not shown
  const rows = await dashboardReservations([], records, NOW);
  assert.deepEqual(
    rows.map((r) => [r.contract_id, r.provider, r.gpu_model, r.state, r.status, r.connect, r.cost_so_far]),
    [[null, 'vast.ai', 'RTX 4090', 'creating', 'requested', '-', 0]],
  );
  assert.equal(rows[0]!.expires_at, Math.floor((NOW + HOUR) / 1000));
});
