// Cloud reservations on record from before their creation to their confirmed end: lifetimes, a server
// stopped between a creation and its record, a restart in the middle of a destroy, unknown instances.
// Scripted marketplace, records in memory, a clock that moves only when a test moves it.
import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { scriptedOffer } from '../../providers/scripted/offer.js';
import { ScriptedMarketplace } from '../../providers/scripted/scripted-marketplace.js';
import { memoryRecords } from '../records/memory/memory-records.js';
import type { Records, ServerReservation, User } from '../records/ports.js';
import { GpuService } from './gpu-service.js';

const T0 = 1_800_000_000_000;
const HOUR = 3_600_000;

const offer = scriptedOffer;

describe('cloud lifecycle', () => {
  let now: number;
  let records: Records;
  let market: ScriptedMarketplace;
  let ann: User;
  const clock = { now: () => now };
  const server = () => new GpuService(records, [market], clock);

  beforeEach(async () => {
    now = T0;
    records = memoryRecords();
    market = new ScriptedMarketplace('vast.ai', [offer('o1', 2), offer('o2', 3)]);
    ann = await records.addUser('ann@example.com', 'ann', false, null, T0);
  });

  test('each creation is on record, running once recorded; when its hours are over it is destroyed and charged', async () => {
    const service = server();
    const { reserved } = await service.reserve(ann, { count: 1, filters: {}, durationHours: 2 });
    const contractId = reserved[0]!.contractId;
    const [c] = await records.cloudReservations(['running']);
    assert.deepEqual(
      [c!.state, c!.contractId, c!.userId, c!.pricePerHour, c!.createdAt, c!.expiresAt],
      ['running', contractId, ann.id, 2, T0, T0 + 2 * HOUR],
    );
    assert.deepEqual(
      (await market.labelled()).map((l) => l.reservationId),
      [c!.id],
    );

    now = T0 + 2 * HOUR - 1;
    assert.deepEqual((await service.sweepCloud()).findings, []);
    now = T0 + 2 * HOUR + 45_000; // the sweep runs every 30 s: the charge stops at the expiry all the same
    const { findings } = await service.sweepCloud();
    assert.deepEqual(findings, [
      { provider: 'vast.ai', contractId, reservationId: c!.id, finding: 'expired', action: 'destroyed' },
    ]);
    assert.deepEqual(market.contracts(), []);
    assert.equal((await records.cloudReservation(c!.id))!.state, 'destroyed');
    assert.deepEqual(await records.activeReservations(), []);
    const { items } = await records.transactions(ann.id, 10, 0);
    assert.deepEqual(
      items.map((t) => t.amount),
      [4],
    );
  });

  test('a server stopped between the creation and its record: the next one destroys the instance, charging nobody', async () => {
    const first = server();
    let reachedRecord!: () => void;
    const reached = new Promise<void>((resolve) => (reachedRecord = resolve));
    const add = records.addReservations;
    records.addReservations = (_: ServerReservation[]) => {
      reachedRecord();
      return new Promise<void>(() => undefined); // the process never gets further
    };
    void first.reserve(ann, { count: 2, filters: {} });
    await reached;
    records.addReservations = add;
    assert.equal(market.contracts().length, 2);
    assert.deepEqual(
      (await records.cloudReservations(['creating'])).map((c) => c.contractId !== null),
      [true, true],
    );

    // While its request is in flight, the first server's own sweep leaves them be.
    assert.deepEqual((await first.sweepCloud()).findings, []);

    const { findings } = await server().sweepCloud(); // the restarted server
    assert.deepEqual(
      findings.map((f) => [f.finding, f.action]),
      [
        ['unrecorded', 'destroyed'],
        ['unrecorded', 'destroyed'],
      ],
    );
    assert.deepEqual(market.contracts(), []);
    const failed = await records.cloudReservations(['failed']);
    assert.deepEqual(
      failed.map((c) => c.error),
      [
        'created, but the server stopped before recording it: destroyed',
        'created, but the server stopped before recording it: destroyed',
      ],
    );
    assert.deepEqual(await records.transactions(ann.id, 10, 0), { items: [], total: 0 });
  });

  test('a creation on record that the marketplace never made is marked failed', async () => {
    await records.addCloudReservation({
      id: '11111111-2222-4333-8444-555555555555',
      userId: ann.id,
      provider: 'vast.ai',
      offer: { ...offer('o1', 2), provider: 'vast.ai', status: 'available', metadata: {} },
      pricePerHour: 2,
      createdAt: T0,
      expiresAt: T0 + HOUR,
      state: 'creating',
      contractId: null,
      updatedAt: T0,
      error: null,
    });
    const { findings } = await server().sweepCloud();
    assert.deepEqual(
      findings.map((f) => [f.finding, f.action]),
      [['never_created', 'marked failed']],
    );
    assert.equal((await records.cloudReservation('11111111-2222-4333-8444-555555555555'))!.error, 'never created');
  });

  test('an end the marketplace did not confirm is retried until it does, after a restart too', async () => {
    const first = server();
    const { reserved } = await first.reserve(ann, { count: 1, filters: {} });
    const contractId = reserved[0]!.contractId;
    market.destroyFails = 'vast.ai: 502 Bad Gateway';
    now = T0 + HOUR;
    await assert.rejects(
      first.destroy(ann, 'vast.ai', contractId),
      new RegExp(
        `^Error: vast.ai did not confirm the end of ${contractId} \\(vast.ai: 502 Bad Gateway\\); the server retries`,
      ),
    );
    const [c] = await records.cloudReservations(['destroying']);
    assert.equal(c!.contractId, contractId);
    assert.equal((await records.activeReservations()).length, 1); // billed until the marketplace confirms

    now = T0 + 2 * HOUR;
    const restarted = server();
    assert.deepEqual(
      (await restarted.sweepCloud()).findings.map((f) => [f.finding, f.action]),
      [['unconfirmed', 'failed: vast.ai: 502 Bad Gateway']],
    );
    market.destroyFails = null;
    now = T0 + 3 * HOUR;
    assert.deepEqual(
      (await restarted.sweepCloud()).findings.map((f) => [f.finding, f.action]),
      [['unconfirmed', 'destroyed']],
    );
    assert.deepEqual(market.contracts(), []);
    assert.equal((await records.cloudReservation(c!.id))!.state, 'destroyed');
    const { items } = await records.transactions(ann.id, 10, 0);
    assert.deepEqual(
      items.map((t) => t.amount),
      [6],
    );
  });

  test('all or nothing: what was made is given back and on record as destroyed', async () => {
    market = new ScriptedMarketplace('vast.ai', [offer('o1', 2), { ...offer('o2', 3), failWith: 'host went offline' }]);
    await assert.rejects(server().reserve(ann, { count: 2, filters: {}, allOrNothing: true }), /all_or_nothing/);
    assert.deepEqual(market.contracts(), []);
    assert.deepEqual(
      (await records.cloudReservations(['creating', 'running', 'destroying', 'destroyed', 'failed']))
        .map((c) => [c.state, c.error])
        .sort(),
      [
        ['destroyed', null],
        ['failed', 'host went offline'],
      ],
    );
  });

  test('a labelled instance no record knows is reported and left alone; fix destroys it', async () => {
    const service = server();
    const [o] = await market.available();
    const theirs = await market.create(o!, 'someone', HOUR, '99999999-8888-4777-8666-555555555555');
    const unknown = {
      provider: 'vast.ai',
      contractId: theirs,
      reservationId: '99999999-8888-4777-8666-555555555555',
      finding: 'unknown',
    };
    assert.deepEqual((await service.sweepCloud()).findings, [{ ...unknown, action: 'left alone' }]);
    assert.deepEqual(market.contracts(), [theirs]);
    assert.deepEqual((await service.sweepCloud(true)).findings, [{ ...unknown, action: 'destroyed' }]);
    assert.deepEqual(market.contracts(), []);
  });
});
