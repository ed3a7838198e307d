// Spending caps on the marketplaces, through the reservation service: refused before anything is
// created, counting what was spent, what running reservations commit and requests in flight.
import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { scriptedOffer } from '../../providers/scripted/offer.js';
import { ScriptedMarketplace } from '../../providers/scripted/scripted-marketplace.js';
import { ScriptedProvider } from '../../providers/scripted/scripted-provider.js';
import { ApiError } from '../errors.js';
import { memoryRecords } from '../records/memory/memory-records.js';
import type { Records, User } from '../records/ports.js';
import { GpuService } from './gpu-service.js';
import { DEFAULT_CLOUD_MONEY } from './spending-caps.js';

const T0 = 1_800_000_000_000;
const HOUR = 3_600_000;
const offer = scriptedOffer;

const refused = (message: string) => (e: unknown) => {
  assert.ok(e instanceof ApiError, String(e));
  assert.equal(e.code, 'PAYMENT_REQUIRED');
  assert.equal(e.message, message);
  return true;
};

describe('spending caps', () => {
  let now: number;
  let records: Records;
  let market: ScriptedMarketplace;
  let pool: ScriptedProvider;
  let ann: User;
  let service: GpuService;

  beforeEach(async () => {
    now = T0;
    records = memoryRecords();
    market = new ScriptedMarketplace('vast.ai', [offer('a', 2), offer('b', 2.5), offer('c', 3)], 5);
    pool = new ScriptedProvider('local', [offer('g0', 9)]);
    ann = await records.addUser('ann@example.com', 'ann', false, null, T0);
    const money = { ...DEFAULT_CLOUD_MONEY, capPerDay: 50, capPerWeek: 100 };
    service = new GpuService(records, [market, pool], { now: () => now }, undefined, money);
  });

  test('a request whose estimate would pass the daily cap is refused before anything is created', async () => {
    await service.reserve(ann, { count: 1, filters: { provider: 'vast.ai' }, durationHours: 8 }); // $16 committed
    now += 4 * HOUR;
    // $16 + $2.5 × 14 h = $51 > $50
    await assert.rejects(
      service.reserve(ann, { count: 1, filters: { provider: 'vast.ai' }, durationHours: 14 }),
      refused(
        'Reserving these instances ($35.00 estimated) would exceed your daily cap of $50.00 ($16.00 spent or committed)',
      ),
    );
    assert.equal(market.contracts().length, 1);
    assert.deepEqual(await records.cloudReservations(['creating', 'failed']), []);
    // This host's pool is not a marketplace: its price counts toward no cap.
    await service.reserve(ann, { count: 1, filters: { provider: 'local' }, durationHours: 8 });
  });

  test('what was spent counts, in its window: the daily one passes, the weekly one still holds', async () => {
    const money = { ...DEFAULT_CLOUD_MONEY, capPerDay: 50, capPerWeek: 80 };
    service = new GpuService(records, [market, pool], { now: () => now }, undefined, money);
    const { reserved } = await service.reserve(ann, { count: 1, filters: { provider: 'vast.ai' }, durationHours: 20 });
    now += 20 * HOUR;
    await service.destroy(ann, 'vast.ai', reserved[0]!.contractId); // $40 charged
    now += 5 * HOUR; // the charge is 5 h old: still in the day
    await assert.rejects(
      service.reserve(ann, { count: 1, filters: { provider: 'vast.ai' }, durationHours: 6 }),
      refused(
        'Reserving these instances ($12.00 estimated) would exceed your daily cap of $50.00 ($40.00 spent or committed)',
      ),
    );
    now += 20 * HOUR; // out of the day, still in the week
    await service.reserve(ann, { count: 1, filters: { provider: 'vast.ai' }, durationHours: 15 }); // $30 more
    await assert.rejects(
      service.reserve(ann, { count: 1, filters: { provider: 'vast.ai' }, durationHours: 6 }),
      refused(
        'Reserving these instances ($15.00 estimated) would exceed your weekly cap of $80.00 ($70.00 spent or committed)',
      ),
    );
  });

  test('requests of one user in flight together count each other', async () => {
    const ask = () => service.reserve(ann, { count: 1, filters: { provider: 'vast.ai' }, durationHours: 10 });
    const outcomes = await Promise.allSettled([ask(), ask(), ask()]); // $20, $25, $30: the third passes $50
    const kept = outcomes.filter((o) => o.status === 'fulfilled');
    const capped = outcomes.filter(
      (o) => o.status === 'rejected' && (o.reason as ApiError).code === 'PAYMENT_REQUIRED',
    );
    assert.deepEqual(
      [kept.length, capped.length],
      [2, 1],
      JSON.stringify(outcomes.map((o) => (o.status === 'rejected' ? String(o.reason) : 'ok'))),
    );
    assert.equal(market.contracts().length, 2);
    // Once recorded, the next request counts it from the records.
    await assert.rejects(ask(), (e: ApiError) => e.code === 'PAYMENT_REQUIRED');
  });
});
