// The contract every implementation of the server's records passes; each one's test file calls
// runRecordsContract, then adds only what is particular to it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CanhazError } from '../../domain/errors.js';
import type { CloudReservation, Records, ServerReservation } from './ports.js';

export interface RecordsFactory {
  /** Fresh, empty records each call. */
  open(): Records | Promise<Records>;
}

const T0 = 1_800_000_000_000;
const HOUR = 3_600_000;

function reservation(userId: string, over: Partial<ServerReservation> = {}): ServerReservation {
  const provider = over.provider ?? 'vast.ai';
  const contractId = over.contractId ?? 'c1';
  return {
    contractId,
    provider,
    userId,
    pricePerHour: 2,
    createdAt: T0,
    expiresAt: T0 + 8 * HOUR,
    endedAt: null,
    instance: {
      id: `${provider}-${contractId}`,
      provider,
      status: 'reserved',
      pricePerHour: 2,
      vramGb: 80,
      gpuModel: 'H100',
      numGpus: 1,
      location: 'eu',
      metadata: { contract_id: contractId },
    },
    ...over,
  };
}

function cloud(userId: string, id: string, over: Partial<CloudReservation> = {}): CloudReservation {
  const offer = reservation(userId).instance;
  return {
    id,
    userId,
    provider: 'vast.ai',
    offer: { ...offer, status: 'available', metadata: {} },
    pricePerHour: 2,
    createdAt: T0,
    expiresAt: T0 + 8 * HOUR,
    state: 'creating',
    contractId: null,
    updatedAt: T0,
    error: null,
    ...over,
  };
}

export function runRecordsContract(name: string, factory: RecordsFactory): void {
  describe(`records contract: ${name}`, () => {
    const it = (title: string, fn: (records: Records) => Promise<void>) =>
      test(title, async () => {
        const records = await factory.open();
        try {
          await fn(records);
        } finally {
          records.close();
        }
      });

    it('adds users, finds them by id and by email in any case, and refuses a second user of an email', async (r) => {
      const ann = await r.addUser('Ann@example.com', 'ann', true, 'hash', T0);
      assert.deepEqual(ann, {
        id: ann.id,
        email: 'Ann@example.com',
        name: 'ann',
        isAdmin: true,
        passwordHash: 'hash',
        createdAt: T0,
        disabledAt: null,
        deletedAt: null,
        tokenGeneration: 0,
        failedLogins: 0,
        lockedUntil: null,
      });
      assert.deepEqual(await r.userById(ann.id), ann);
      assert.deepEqual(await r.userByEmail('ann@EXAMPLE.com'), ann);
      assert.equal(await r.userByEmail('bob@example.com'), null);
      assert.equal(await r.userById('nobody'), null);
      await assert.rejects(r.addUser('ANN@example.com', 'again', false, null, T0), CanhazError);
      await r.addUser('bob@example.com', 'bob', false, null, T0);
      assert.deepEqual(
        (await r.listUsers()).map((u) => u.name),
        ['ann', 'bob'],
      );
    });

    it('a new password, a disable and a revocation each move the token generation on', async (r) => {
      const u = await r.addUser('cy@example.com', 'cy', false, 'old', T0);
      await r.setPassword(u.id, 'new');
      assert.deepEqual(await r.userById(u.id), { ...u, passwordHash: 'new', tokenGeneration: 1 });
      await r.revokeTokens(u.id);
      await r.setDisabled(u.id, true, T0 + 1);
      assert.deepEqual(await r.userById(u.id), { ...u, passwordHash: 'new', tokenGeneration: 3, disabledAt: T0 + 1 });
      // Enabling does not bring old tokens back.
      await r.setDisabled(u.id, false, T0 + 2);
      assert.deepEqual(await r.userById(u.id), { ...u, passwordHash: 'new', tokenGeneration: 3 });
    });

    it('counts failed logins, locks for what lockMs says, and a reset, a password or an enable lifts it', async (r) => {
      const u = await r.addUser('di@example.com', 'di', false, 'hash', T0);
      const lockMs = (failures: number) => (failures >= 2 ? failures * 1000 : 0);
      await r.recordLoginFailure(u.id, T0, lockMs);
      assert.deepEqual(await r.userById(u.id), { ...u, failedLogins: 1 });
      await r.recordLoginFailure(u.id, T0 + 5, lockMs);
      assert.deepEqual(await r.userById(u.id), { ...u, failedLogins: 2, lockedUntil: T0 + 2005 });
      await r.resetLoginFailures(u.id);
      assert.deepEqual(await r.userById(u.id), u);
      for (const lift of [() => r.setPassword(u.id, 'hash'), () => r.setDisabled(u.id, false, T0)]) {
        await r.recordLoginFailure(u.id, T0, () => 60_000);
        assert.equal((await r.userById(u.id))!.lockedUntil, T0 + 60_000);
        await lift();
        assert.deepEqual([(await r.userById(u.id))!.failedLogins, (await r.userById(u.id))!.lockedUntil], [0, null]);
      }
    });

    it('API keys: found by hash while live, listed oldest first, revoked only by their user', async (r) => {
      const u = await r.addUser('ed@example.com', 'ed', false, null, T0);
      const other = await r.addUser('fay@example.com', 'fay', false, null, T0);
      const first = await r.addApiKey(u.id, 'laptop', 'hash-1', T0);
      const second = await r.addApiKey(u.id, 'ci', 'hash-2', T0 + 1);
      assert.deepEqual(first, { id: first.id, userId: u.id, name: 'laptop', createdAt: T0, revokedAt: null });
      assert.deepEqual(await r.userByKeyHash('hash-1'), { user: u, keyId: first.id });
      assert.equal(await r.userByKeyHash('hash-3'), null);
      assert.equal(await r.revokeApiKey(other.id, first.id, T0 + 2), false);
      assert.equal(await r.revokeApiKey(u.id, first.id, T0 + 2), true);
      assert.equal(await r.revokeApiKey(u.id, first.id, T0 + 3), false);
      assert.equal(await r.userByKeyHash('hash-1'), null);
      assert.deepEqual(await r.listApiKeys(u.id), [{ ...first, revokedAt: T0 + 2 }, second]);
      assert.deepEqual(await r.listApiKeys(other.id), []);
    });

    it('a user with an active reservation is not deleted; once it ends, deleting frees the email', async (r) => {
      const u = await r.addUser('gus@example.com', 'gus', false, 'hash', T0);
      await r.addApiKey(u.id, 'k', 'hash-g', T0);
      const held = reservation(u.id);
      await r.addReservation(held);
      const stillActive = (e: unknown) => e instanceof CanhazError && /1 active reservation/.test(e.message);
      await assert.rejects(r.deleteUser(u, T0 + HOUR), stillActive);
      // Past its expiry it no longer counts as active, ended or not.
      await r.deleteUser(u, T0 + 9 * HOUR);
      const gone = (await r.userById(u.id))!;
      assert.deepEqual([gone.deletedAt, gone.passwordHash, gone.tokenGeneration], [T0 + 9 * HOUR, null, 1]);
      assert.notEqual(gone.email, 'gus@example.com');
      assert.equal(await r.userByEmail('gus@example.com'), null);
      assert.equal(await r.userByKeyHash('hash-g'), null);
      assert.deepEqual(await r.listUsers(), []);
      const again = await r.addUser('gus@example.com', 'gus again', false, null, T0);
      assert.notEqual(again.id, u.id);
    });

    it('records reservations, lists the active ones, and counts them per provider and per host', async (r) => {
      const u = await r.addUser('hal@example.com', 'hal', false, null, T0);
      const v = await r.addUser('ivy@example.com', 'ivy', false, null, T0);
      const a = reservation(u.id, { contractId: 'a', createdAt: T0 + 2 });
      const b = reservation(v.id, { contractId: 'b', createdAt: T0 + 1 });
      const c = reservation(u.id, { contractId: 'c', provider: 'local' });
      c.instance.location = 'host1';
      await r.addReservations([a, b]);
      await r.addReservation(c);
      assert.deepEqual(await r.reservation('vast.ai', 'a'), a);
      assert.equal(await r.reservation('local', 'a'), null);
      assert.deepEqual(await r.activeReservations(), [c, b, a]);
      assert.deepEqual(await r.activeReservations(u.id), [c, a]);
      assert.deepEqual(await r.recordedActive('vast.ai', ['a', 'c', 'zz']), new Set(['a']));
      assert.deepEqual(
        r.countByProvider(),
        new Map([
          ['vast.ai', 2],
          ['local', 1],
        ]),
      );
      const byHost = (list: Array<{ provider: string; location: string; n: number }>) =>
        [...list].sort((x, y) => x.provider.localeCompare(y.provider));
      assert.deepEqual(byHost(r.activeCountsByHost()), [
        { provider: 'local', location: 'host1', n: 1 },
        { provider: 'vast.ai', location: 'eu', n: 2 },
      ]);
      await r.endReservation(a, T0 + HOUR);
      assert.deepEqual(await r.activeReservations(u.id), [c]);
      assert.deepEqual(await r.recordedActive('vast.ai', ['a', 'b']), new Set(['b']));
      // Ever made: ended ones still count.
      assert.deepEqual(
        r.countByProvider(),
        new Map([
          ['vast.ai', 2],
          ['local', 1],
        ]),
      );
      assert.deepEqual(byHost(r.activeCountsByHost()), [
        { provider: 'local', location: 'host1', n: 1 },
        { provider: 'vast.ai', location: 'eu', n: 1 },
      ]);
    });

    it("an active reservation takes its provider's status and connection details; an ended one does not", async (r) => {
      const u = await r.addUser('st@example.com', 'st', false, null, T0);
      await r.addReservations([reservation(u.id, { contractId: 'live' }), reservation(u.id, { contractId: 'gone' })]);
      await r.setInstanceState('vast.ai', 'live', 'running', { ssh_host: 'ssh4.vast.ai', ssh_port: '20004' });
      const live = (await r.reservation('vast.ai', 'live'))!;
      assert.deepEqual(
        [live.instance.status, live.instance.metadata],
        ['running', { contract_id: 'live', ssh_host: 'ssh4.vast.ai', ssh_port: '20004' }],
      );
      const gone = (await r.reservation('vast.ai', 'gone'))!;
      await r.endReservation(gone, T0 + HOUR);
      await r.setInstanceState('vast.ai', 'gone', 'running', { ssh_host: 'x' });
      assert.deepEqual((await r.reservation('vast.ai', 'gone'))!.instance, gone.instance);
      await r.setInstanceState('vast.ai', 'nothing', 'running', {}); // no such reservation: nothing happens
    });

    it("one request's reservations are recorded together or not at all", async (r) => {
      const u = await r.addUser('jo@example.com', 'jo', false, null, T0);
      await r.addReservation(reservation(u.id, { contractId: 'taken' }));
      const both = [reservation(u.id, { contractId: 'new' }), reservation(u.id, { contractId: 'taken' })];
      await assert.rejects(r.addReservations(both));
      assert.equal(await r.reservation('vast.ai', 'new'), null);
      assert.equal((await r.activeReservations()).length, 1);
    });

    it('an end charges price × time held once, to its user; the ledger pages newest first', async (r) => {
      const u = await r.addUser('kai@example.com', 'kai', false, null, T0);
      const first = reservation(u.id, { contractId: 'one', pricePerHour: 2 });
      const second = reservation(u.id, { contractId: 'two', pricePerHour: 3 });
      await r.addReservations([first, second]);
      const charge = await r.endReservation(first, T0 + 90 * 60_000);
      assert.deepEqual(charge, {
        id: charge!.id,
        userId: u.id,
        type: 'charge',
        amount: 3,
        currency: 'USD',
        timestamp: T0 + 90 * 60_000,
        status: 'completed',
        description: 'H100 on vast.ai (one) for 1.5000 h at $2/h',
      });
      assert.equal(await r.endReservation(first, T0 + 2 * HOUR), null);
      assert.deepEqual((await r.reservation('vast.ai', 'one'))!.endedAt, T0 + 90 * 60_000);
      const later = await r.endReservation(second, T0 + 2 * HOUR);
      assert.equal(later!.amount, 6);
      assert.deepEqual(await r.transactions(u.id, 10, 0), { items: [later, charge], total: 2 });
      assert.deepEqual(await r.transactions(u.id, 1, 1), { items: [charge], total: 2 });
      assert.deepEqual(await r.transactions('someone else', 10, 0), { items: [], total: 0 });
    });

    it('settings: none at first, set and read back; settingOrMake makes one only once', async (r) => {
      assert.equal(r.setting('strategy'), null);
      await r.setSetting('strategy', 'round_robin');
      await r.setSetting('strategy', 'least_connections');
      assert.equal(r.setting('strategy'), 'least_connections');
      let made = 0;
      const make = () => `secret-${++made}`;
      assert.equal(await r.settingOrMake('token_secret', make), 'secret-1');
      assert.equal(await r.settingOrMake('token_secret', make), 'secret-1');
      assert.equal(r.setting('token_secret'), 'secret-1');
      assert.equal(made, 1);
    });

    it('what callers get back are copies: changing one changes no record', async (r) => {
      const u = await r.addUser('lu@example.com', 'lu', false, null, T0);
      const got = (await r.userById(u.id))!;
      got.isAdmin = true;
      assert.equal((await r.userById(u.id))!.isAdmin, false);
      await r.addReservation(reservation(u.id));
      const [active] = await r.activeReservations();
      active!.instance.metadata['contract_id'] = 'changed';
      assert.equal((await r.reservation('vast.ai', 'c1'))!.instance.metadata['contract_id'], 'c1');
    });

    it('a cloud reservation: creating before the provider is asked, running once recorded, destroyed at its end', async (r) => {
      const u = await r.addUser('cy@example.com', 'cy', false, null, T0);
      await r.addCloudReservation(cloud(u.id, 'r1'));
      await r.addCloudReservation(cloud(u.id, 'r2', { createdAt: T0 + 1 }));
      await assert.rejects(r.addCloudReservation(cloud(u.id, 'r1')));
      assert.deepEqual(await r.cloudReservation('r1'), cloud(u.id, 'r1'));
      assert.equal(await r.cloudReservation('nope'), null);
      await r.setCloudContract('r1', 'c1', T0 + 5);
      assert.deepEqual(await r.cloudReservationByContract('vast.ai', 'c1'), {
        ...cloud(u.id, 'r1'),
        contractId: 'c1',
        updatedAt: T0 + 5,
      });
      // Recording the active reservation is what makes it run.
      await r.addReservations([reservation(u.id, { contractId: 'c1', createdAt: T0 + 6 })]);
      assert.equal((await r.cloudReservation('r1'))!.state, 'running');
      assert.deepEqual(
        (await r.cloudReservations(['creating'])).map((c) => c.id),
        ['r2'],
      );
      assert.equal(await r.moveCloudReservation('r1', ['running'], 'destroying', T0 + 7), true);
      assert.equal(await r.moveCloudReservation('r1', ['running'], 'destroying', T0 + 8), false);
      assert.deepEqual(
        (await r.cloudReservations(['running', 'destroying'], 'vast.ai')).map((c) => [c.id, c.state]),
        [['r1', 'destroying']],
      );
      assert.deepEqual(await r.cloudReservations(['destroying'], 'io.net'), []);
      // Ending the active reservation confirms the destroy, in the same write as its charge.
      await r.endReservation((await r.reservation('vast.ai', 'c1'))!, T0 + HOUR);
      assert.deepEqual(
        { ...(await r.cloudReservation('r1'))!, offer: null },
        { ...cloud(u.id, 'r1'), offer: null, contractId: 'c1', state: 'destroyed', updatedAt: T0 + HOUR },
      );
      assert.equal(await r.moveCloudReservation('r2', ['creating'], 'failed', T0 + 9, 'offer taken'), true);
      const failed = (await r.cloudReservation('r2'))!;
      assert.deepEqual([failed.state, failed.error, failed.updatedAt], ['failed', 'offer taken', T0 + 9]);
      assert.deepEqual(await r.cloudReservations(['creating', 'running', 'destroying']), []);
    });
  });
}
