// The reservation service on its own: scripted providers, records in memory and a clock that moves
// only when a test moves it, so outcomes and charges come out exact.
import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { ScriptedProvider, type ScriptedOffer } from '../../providers/scripted/scripted-provider.js';
import { ApiError, type ApiCode } from '../errors.js';
import { GpuService } from './gpu-service.js';
import { memoryRecords } from '../records/memory/memory-records.js';
import type { Records, User } from '../records/ports.js';

const T0 = 1_800_000_000_000;
const HOUR = 3_600_000;

const offer = (id: string, pricePerHour: number, over: Partial<ScriptedOffer> = {}): ScriptedOffer => ({
  id,
  pricePerHour,
  vramGb: 80,
  gpuModel: 'H100',
  numGpus: 1,
  location: 'eu',
  ...over,
});

const fails = (code: ApiCode, details?: Record<string, unknown>) => (e: unknown) => {
  assert.ok(e instanceof ApiError, String(e));
  assert.equal(e.code, code, e.message);
  if (details) assert.deepEqual(e.details, details);
  return true;
};

describe('GpuService', () => {
  let now: number;
  let records: Records;
  let market: ScriptedProvider;
  let service: GpuService;
  let ann: User;
  let bob: User;

  beforeEach(async () => {
    now = T0;
    records = memoryRecords();
    const offers = [offer('m1', 2), offer('m2', 1), offer('m3', 3, { failWith: 'host went offline' })];
    market = new ScriptedProvider('market', offers);
    service = new GpuService(records, [market], { now: () => now });
    ann = await records.addUser('ann@example.com', 'ann', false, null, T0);
    bob = await records.addUser('bob@example.com', 'bob', false, null, T0);
  });

  test('partial success: what was made is recorded and priced; each failed creation is one error', async () => {
    const outcome = await service.reserve(ann, { count: 3, filters: {}, durationHours: 2 });
    assert.equal(outcome.message, 'Reserved 2 of 3 GPUs');
    assert.deepEqual([outcome.requested, outcome.totalPricePerHour], [3, 3]);
    assert.deepEqual(outcome.errors, [{ instanceId: 'm3', provider: 'market', error: 'host went offline' }]);
    assert.deepEqual(outcome.reserved.map((r) => [r.instance.id, r.instance.status, r.instance.metadata]).sort(), [
      ['m1', 'reserved', { contract_id: outcome.reserved.find((r) => r.instance.id === 'm1')!.contractId }],
      ['m2', 'reserved', { contract_id: outcome.reserved.find((r) => r.instance.id === 'm2')!.contractId }],
    ]);
    const recorded = await records.activeReservations(ann.id);
    assert.deepEqual(
      recorded.map((r) => [r.contractId, r.createdAt, r.expiresAt]).sort(),
      outcome.reserved.map((r) => [r.contractId, T0, T0 + 2 * HOUR]).sort(),
    );
    const ids = recorded.map((r) => r.contractId);
    assert.deepEqual(await market.stillHeld(ids), new Set(ids));
  });

  test('all_or_nothing: one failed creation gives back the others and records nothing', async () => {
    await assert.rejects(
      service.reserve(ann, { count: 3, filters: {}, allOrNothing: true }),
      fails('ABORTED', {
        errors: [{ instanceId: 'm3', provider: 'market', error: 'host went offline' }],
      }),
    );
    assert.deepEqual(await records.activeReservations(), []);
    // Given back: both are offered again.
    assert.deepEqual(
      (await market.available()).map((i) => i.id),
      ['m1', 'm2', 'm3'],
    );
    // Without a failure it reserves them all.
    const outcome = await service.reserve(ann, { count: 2, filters: { maxPricePerHour: 2 }, allOrNothing: true });
    assert.equal(outcome.message, 'Reserved 2 GPUs');
  });

  test('every creation failing, too few matches and requests out of bounds are refused', async () => {
    const broken = new ScriptedProvider('broken', [offer('b1', 1, { failWith: 'quota exceeded' })]);
    const both = new GpuService(records, [market, broken], { now: () => now });
    await assert.rejects(
      both.reserve(ann, { count: 1, filters: { provider: 'broken' } }),
      fails('INTERNAL', {
        errors: [{ instanceId: 'b1', provider: 'broken', error: 'quota exceeded' }],
      }),
    );
    const tooFew = fails('FAILED_PRECONDITION', { matched: 3, requested: 4 });
    await assert.rejects(service.reserve(bob, { count: 4, filters: {} }), tooFew);
    for (const input of [
      { count: 17, filters: {} },
      { count: 1, filters: {}, durationHours: 721 },
      { count: 1, filters: { provider: 'elsewhere' } },
    ]) {
      await assert.rejects(service.reserve(bob, input), fails('INVALID_ARGUMENT'));
    }
  });

  test('ending a reservation charges price × time held to its owner once; others may not end it', async () => {
    const {
      reserved: [held],
    } = await service.reserve(ann, { count: 1, filters: { maxPricePerHour: 1 } });
    now += 90 * 60_000;
    await assert.rejects(service.destroy(bob, 'market', held!.contractId), fails('PERMISSION_DENIED'));
    const { transaction } = await service.destroy(ann, 'market', held!.contractId);
    assert.deepEqual([transaction?.userId, transaction?.amount, transaction?.timestamp], [ann.id, 1.5, now]);
    assert.deepEqual(await market.stillHeld([held!.contractId]), new Set());
    await assert.rejects(service.destroy(ann, 'market', held!.contractId), fails('NOT_FOUND'));
    assert.deepEqual(await service.transactions(ann, 10, 0), { items: [transaction], total: 1 });
    // An admin may end anyone's.
    const admin = await records.addUser('root@example.com', 'root', true, null, T0);
    const {
      reserved: [other],
    } = await service.reserve(bob, { count: 1, filters: { maxPricePerHour: 2 } });
    assert.equal((await service.destroy(admin, 'market', other!.contractId)).transaction?.userId, bob.id);
  });

  test('reconcile ends and charges what the provider no longer holds: ended early, or past its expiry', async () => {
    const outcome = await service.reserve(ann, { count: 2, filters: { maxPricePerHour: 2 }, durationHours: 1 });
    const [cheap, dear] = [...outcome.reserved].sort((a, b) => a.instance.pricePerHour - b.instance.pricePerHour);
    now += 30 * 60_000;
    await market.destroy(cheap!.contractId); // the provider reclaimed it
    assert.deepEqual(
      (await service.reconcile(ann.id)).map((r) => r.contractId),
      [dear!.contractId],
    );
    now += 2 * HOUR;
    await market.destroy(dear!.contractId); // expired: charged up to its expiry, not to now
    assert.deepEqual(await service.reconcile(), []);
    const { items } = await service.transactions(ann, 10, 0);
    assert.deepEqual(
      items.map((t) => [t.amount, t.timestamp]),
      [
        [2, T0 + HOUR],
        [0.5, T0 + 30 * 60_000],
      ],
    );
  });

  test('a provider that cannot say what it holds keeps its contracts, uncharged', async () => {
    const {
      reserved: [held],
    } = await service.reserve(ann, { count: 1, filters: { maxPricePerHour: 1 } });
    market.stillHeld = async () => {
      throw new Error('market is down');
    };
    now += HOUR;
    assert.deepEqual(
      (await service.reconcile()).map((r) => r.contractId),
      [held!.contractId],
    );
    assert.deepEqual(await service.transactions(ann, 10, 0), { items: [], total: 0 });
  });

  test('the strategy is kept in the settings; an unknown one is refused', async () => {
    assert.equal(service.strategy, 'least_connections');
    assert.equal(await service.setStrategy('round_robin'), 'round_robin');
    assert.equal(records.setting('strategy'), 'round_robin');
    assert.equal(new GpuService(records, [market], { now: () => now }).strategy, 'round_robin');
    await assert.rejects(service.setStrategy('fastest'), fails('INVALID_ARGUMENT'));
  });

  test('loads count active reservations per host and per provider', async () => {
    await service.reserve(ann, { count: 2, filters: { maxPricePerHour: 2 } });
    const loads = await service.loads();
    assert.deepEqual(
      loads.provider.map((l) => [l.provider, l.connections]),
      [['market', 2]],
    );
    assert.deepEqual(
      loads.server.map((l) => [l.provider, l.connections]),
      [['market', 2]],
    );
  });
});
