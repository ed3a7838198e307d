// A fleet's pools as the server's local provider, on a real redis-server: the provider contract, then
// what the fleet adds (location = host, a reservation in that host's pool, a silent host offers nothing).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { redisFixture } from '../../../support/redis-fixture.js';
import { FLEET_STALE_AFTER_MS } from '../../domain/fleet.js';
import { FakeProbe } from '../../probe/fake/fake-probe.js';
import { PoolService } from '../../pool/pool-service.js';
import { createdOf } from '../provider.js';
import { dashboardData } from '../../server/http/dashboard-data.js';
import { localPools } from '../../server/local-pools.js';
import type { GpuService } from '../../server/service/gpu-service.js';
import { RedisStore } from '../../store/redis/redis-store.js';
import { runProviderContract } from '../contract.case.test.js';

const dir = mkdtempSync(join(tmpdir(), 'canhazgpu-fleet-provider-'));
const fixture = redisFixture();
after(() => rmSync(dir, { recursive: true, force: true }));
const NOW = 1_800_000_000_000;
let now = NOW;
const clock = { now: () => now };
const judged = { owners: { state: () => 'unknown' as const }, staleAfterMs: 300_000, inUseThresholdMb: 1024 };

/** host-a (this one, 1 GPU) and host-b (2 GPUs, read at NOW by its agent); the server runs on host-a. */
async function fleet() {
  await fixture.redis.flushdb();
  now = NOW;
  const b = await RedisStore.connect(fixture.server.url, { host: 'host-b' });
  const a = await RedisStore.connect(fixture.server.url, { host: 'host-a' });
  await a.initialize(1, false, NOW);
  await b.initialize(2, false, NOW);
  const gpu = { index: 0, uuid: null, name: 'H100', memoryUsedMb: 0, memoryTotalMb: 81_920, processes: [] };
  await b.saveReading({ host: 'host-b', takenAt: NOW, usage: [gpu, { ...gpu, index: 1 }] });
  await b.close();
  const gpusPath = join(dir, 'a.json');
  writeFileSync(gpusPath, JSON.stringify({ gpus: [{ name: 'A100' }] }));
  const pool = new PoolService({ ...judged, store: a, probe: new FakeProbe(gpusPath), clock });
  const { provider, hosts } = localPools({ store: a, pool, clock, pricePerGpuHour: () => 0, poolOptions: judged });
  return { provider, hosts: hosts!, close: () => a.close() };
}

runProviderContract('local, a fleet of two hosts on Redis', { open: fleet });

test("every host's free GPUs, located at their host; a creation reserves in that host's pool", async () => {
  const { provider, close } = await fleet();
  try {
    const offered = await provider.available();
    assert.deepEqual(
      offered.map((i) => [i.id, i.location, i.gpuModel, i.vramGb]),
      [
        ['host-a:gpu0', 'host-a', 'A100', 80],
        ['host-b:gpu0', 'host-b', 'H100', 80],
        ['host-b:gpu1', 'host-b', 'H100', 80],
      ],
    );
    const { contractId: id } = createdOf(
      await provider.create(offered[2]!, 'api:eve@example.com', 3_600_000),
      offered[2]!,
    );
    const held = JSON.parse((await fixture.redis.get('canhazgpu:{host-b}:gpu:1'))!);
    assert.deepEqual([held.user, held.reservation_id], ['api:eve@example.com', id]);
    assert.deepEqual(await provider.heldForServer?.(), [id]);
    assert.equal(await provider.destroy(id), true);
    // host-b's agent stops: once its reading is old, its GPUs are no longer offered.
    now = NOW + FLEET_STALE_AFTER_MS;
    assert.deepEqual(
      (await provider.available()).map((i) => i.location),
      ['host-a'],
    );
  } finally {
    await close();
  }
});

test("the dashboard's GPUs: every host's, each with its host, a silent host's free ones stale", async () => {
  const { hosts, close } = await fleet();
  try {
    const service = { reconcile: async () => [], strategy: 'least_connections' } as unknown as GpuService;
    const data = dashboardData({
      poolRows: async () => [],
      hosts,
      report: async (days) => ({
        from: '',
        to: '',
        days,
        total_gpu_hours: 0,
        users: [],
        total_unreserved_gpu_hours: 0,
        unreserved: [],
      }),
      service,
      users: { userById: async () => null, cloudReservations: async () => [] },
      now: clock.now,
    });
    const gpus = () =>
      data().then((d) =>
        d.gpus.map((g) => {
          const { host, gpu_id, status } = g as Record<string, unknown>;
          return [host, gpu_id, status];
        }),
      );
    assert.deepEqual(await gpus(), [
      ['host-a', 0, 'available'],
      ['host-b', 0, 'available'],
      ['host-b', 1, 'available'],
    ]);
    now = NOW + FLEET_STALE_AFTER_MS; // past the dashboard's one-second cache too
    assert.deepEqual(await gpus(), [
      ['host-a', 0, 'available'],
      ['host-b', 0, 'stale'],
      ['host-b', 1, 'stale'],
    ]);
  } finally {
    await close();
  }
});
