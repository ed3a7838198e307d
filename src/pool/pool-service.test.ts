// The pool service on an in-memory SQLite store and a scripted probe: one look per request, GPUs in
// use or missing never granted, the original manual's order, manual releases only of the caller's own.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NotEnoughGpusError } from '../domain/errors.js';
import { type GpuProbe, ProbeUnavailableError } from '../domain/ports.js';
import type { GpuUsage } from '../domain/usage.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { PoolService } from './pool-service.js';

const NOW = 1_800_000_000_000;
const gpu = (index: number, memoryUsedMb = 0): GpuUsage => ({
  index,
  uuid: `GPU-${index}`,
  name: 'H100',
  memoryUsedMb,
  memoryTotalMb: 81_559,
  processes: [],
});

/** A probe that answers `gpus` (null: cannot read) and counts its calls. */
class ScriptedProbe implements GpuProbe {
  readonly toolName = 'nvidia-smi';
  calls = 0;
  constructor(public gpus: GpuUsage[] | null) {}

  async probe(): Promise<GpuUsage[]> {
    this.calls++;
    if (this.gpus === null) throw new ProbeUnavailableError('gone');
    return this.gpus;
  }
}

async function pool(gpus: GpuUsage[] | null, size = 4) {
  const store = SqliteStore.create(':memory:');
  await store.initialize(size, false, NOW - 1000);
  const probe = new ScriptedProbe(gpus);
  const unavailable: string[] = [];
  let now = NOW;
  const service = new PoolService({
    store,
    probe,
    clock: { now: () => now },
    owners: { state: () => 'unknown' },
    staleAfterMs: 300_000,
    inUseThresholdMb: 1024,
    onProbeUnavailable: (tool) => unavailable.push(tool),
  });
  return { service, store, probe, unavailable, advance: (ms: number) => (now += ms) };
}

const grant = (count: number, user = 'alice', durationMs: number | null = 3_600_000) => ({
  count,
  user,
  type: durationMs === null ? ('run' as const) : ('manual' as const),
  durationMs,
  token: `${user}-${count}-${Math.random()}`,
  owner: null,
});

test('status reads the store and the probe once, and shows holders, unreserved use and free GPUs', async () => {
  const { service, probe } = await pool([gpu(0), gpu(1, 4000), gpu(2), gpu(3)]);
  await service.allocate(grant(1));
  probe.calls = 0;
  const { rows } = await service.status();
  assert.equal(probe.calls, 1);
  assert.deepEqual(
    rows.map((r) => r.state),
    ['reserved', 'unreserved', 'available', 'available'],
  );
});

test('allocation leaves out GPUs in use without reservation and those the probe does not list', async () => {
  const { service } = await pool([gpu(0, 4000), gpu(1), gpu(3)]);
  assert.deepEqual(await service.allocate(grant(2)), [1, 3]);
  await assert.rejects(
    service.allocate(grant(1, 'bob')),
    (e) => e instanceof NotEnoughGpusError && e.available === 0 && e.unreservedInUse === 1 && e.notFound === 1,
  );
});

test('a reading from the same request is reused: a grant after a listing makes no second look', async () => {
  const { service, probe } = await pool([gpu(0), gpu(1), gpu(2), gpu(3)]);
  const reading = await service.read();
  assert.deepEqual(
    service.free(reading).map((g) => g.id),
    [0, 1, 2, 3],
  );
  const before = probe.calls;
  assert.deepEqual(await service.allocate({ ...grant(1), only: [2] }, reading), [2]);
  assert.equal(probe.calls, before);
  // The store still checks, atomically: the stale reading cannot hand out GPU 2 twice.
  await assert.rejects(service.allocate({ ...grant(1, 'bob'), only: [2] }, reading), NotEnoughGpusError);
});

test('free GPUs come least recently released first, as allocation takes them', async () => {
  const { service, advance } = await pool([gpu(0), gpu(1), gpu(2), gpu(3)]);
  const all = grant(4, 'alice', null);
  await service.allocate(all);
  advance(1000);
  await service.releaseToken(all.token);
  const later = grant(2, 'bob');
  advance(1000);
  await service.allocate(later); // 0 and 1
  advance(1000);
  await service.releaseToken(later.token);
  assert.deepEqual(
    service.free(await service.read()).map((g) => g.id),
    [2, 3, 0, 1],
  );
});

test("release ends only the caller's manual reservations; active lists each reservation once", async () => {
  const { service } = await pool([gpu(0), gpu(1), gpu(2), gpu(3)]);
  await service.allocate(grant(2, 'alice'));
  await service.allocate(grant(1, 'bob'));
  await service.allocate(grant(1, 'alice', null)); // a run: ends with its command, not with release
  assert.equal((await service.active()).length, 3);
  assert.deepEqual(await service.releaseManual('alice'), [0, 1]);
  assert.deepEqual((await service.active()).map((r) => r.user).sort(), ['alice', 'bob']);
});

test('without the probe: told once per look, every free GPU may be granted', async () => {
  const { service, unavailable } = await pool(null);
  assert.deepEqual(await service.allocate(grant(4)), [0, 1, 2, 3]);
  assert.deepEqual(unavailable, ['nvidia-smi']);
});
