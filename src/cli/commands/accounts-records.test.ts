// The account commands in-process, on records in memory: what they print and what they change.
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { beforeEach, describe, test } from 'node:test';
import { CanhazError } from '../../domain/errors.js';
import { hashApiKey } from '../../server/auth.js';
import { memoryRecords } from '../../server/records/memory/memory-records.js';
import type { Records } from '../../server/records/ports.js';
import type { Context } from '../context.js';
import { apiKeyCreateCommand, apiKeyListCommand, apiKeyRevokeCommand, userAddCommand } from './accounts.js';
import { userChangeCommand, userListCommand } from './users.js';

const T0 = 1_800_000_000_000;

describe('account commands on in-memory records', () => {
  let records: Records;
  let out: string;
  let ctx: Context;

  beforeEach(() => {
    records = memoryRecords();
    out = '';
    // Only what the account commands use: output, the clock, the caller and the records.
    ctx = {
      stdout: { write: (s: string) => (out += s) },
      stderr: { write: () => true },
      clock: { now: () => T0 },
      currentUser: async () => 'alice',
      openAccounts: async () => records,
    } as unknown as Context;
  });

  test('user add, then apikey create for that user: the key works, only its hash is kept', async () => {
    await userAddCommand({ email: 'ann@example.com', name: undefined, admin: true, password: null }, ctx);
    const ann = (await records.userByEmail('ann@example.com'))!;
    assert.equal(out, `Added admin user ann@example.com (${ann.id})\n`);
    await assert.rejects(
      userAddCommand({ email: 'ANN@example.com', name: 'x', admin: false, password: null }, ctx),
      CanhazError,
    );
    out = '';
    await apiKeyCreateCommand({ name: 'laptop', user: 'ann@example.com' }, ctx);
    const key = out.trim();
    assert.deepEqual((await records.userByKeyHash(hashApiKey(key)))?.user.id, ann.id);
  });

  test("without --user, apikey create makes the local user's account; list and revoke find it", async () => {
    await apiKeyCreateCommand({ name: 'ci', user: undefined }, ctx);
    const local = (await records.userByEmail(`alice@${hostname()}`))!;
    const [key] = await records.listApiKeys(local.id);
    out = '';
    await apiKeyListCommand({ user: undefined }, ctx);
    assert.match(out, new RegExp(`^${key!.id}  ci  created .*  active\\n$`));
    await apiKeyRevokeCommand({ id: key!.id, user: undefined }, ctx);
    assert.equal((await records.listApiKeys(local.id))[0]!.revokedAt, T0);
    await assert.rejects(apiKeyRevokeCommand({ id: key!.id, user: undefined }, ctx), /has no active API key/);
  });

  test('user disable shows in user list; delete is refused while the user holds a reservation', async () => {
    await userAddCommand({ email: 'bo@example.com', name: 'bo', admin: false, password: null }, ctx);
    const bo = (await records.userByEmail('bo@example.com'))!;
    await userChangeCommand('disable', { email: 'bo@example.com' }, ctx);
    out = '';
    await userListCommand(ctx);
    assert.equal(out, `bo@example.com  bo  user  disabled ${new Date(T0).toISOString()}\n`);
    await records.addReservation({
      contractId: 'c1',
      provider: 'local',
      userId: bo.id,
      pricePerHour: 0,
      createdAt: T0,
      expiresAt: T0 + 3_600_000,
      endedAt: null,
      instance: {
        id: 'gpu-0',
        provider: 'local',
        status: 'reserved',
        pricePerHour: 0,
        vramGb: 80,
        gpuModel: 'H100',
        numGpus: 1,
        location: 'host',
        metadata: {},
      },
    });
    await assert.rejects(userChangeCommand('delete', { email: 'bo@example.com' }, ctx), /holds 1 active reservation/);
  });
});
