// Locking a user out: `user disable|enable|delete|passwd|revoke-tokens|list` against a running
// server's accounts. Keys and login tokens stop working at once; tokens die with the password.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cli } from './support/cli.js';
import { startTestServer, type TestServer } from './support/server.js';

describe('user management', () => {
  let s: TestServer;
  let accounts: string;
  const login = async (email: string, password: string) =>
    s.api('/api/v1/auth/login', { method: 'POST', body: JSON.stringify({ email, password }) });
  const asToken = (token: string, path = '/api/v1/gpu/reservations', init: RequestInit = {}) =>
    s.api(path, { ...init, headers: { authorization: `Bearer ${token}` } });
  const newKey = (token: string) =>
    asToken(token, '/api/v1/auth/apikey', { method: 'POST', body: JSON.stringify({ name: 'k' }) });
  const passwd = (email: string, stdin: string) =>
    cli(['user', 'passwd', '--email', email, '--password-stdin'], { accounts, stdin });
  const reserve = (key: string) =>
    s.api('/api/v1/gpu/instances/reserve', {
      method: 'POST',
      key,
      body: JSON.stringify({ count: 1, filters: { provider: 'local' } }),
    });

  before(async () => {
    s = await startTestServer({ gpus: 2 });
    accounts = join(s.dir, 'server.db');
  });
  after(() => s.stop());

  test('revoke-tokens: a token from an earlier login can no longer mint keys once the keys are revoked', async () => {
    const { key } = await s.user('mia', { password: 'first password' });
    const token = (await login('mia@example.com', 'first password')).body.token as string;
    assert.equal((await newKey(token)).status, 201);
    const listed = await cli(['apikey', 'list', '--user', 'mia@example.com'], { accounts });
    for (const id of listed.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(' ')[0]!)) {
      assert.equal((await cli(['apikey', 'revoke', id, '--user', 'mia@example.com'], { accounts })).code, 0);
    }
    assert.equal((await s.api('/api/v1/gpu/reservations', { key })).status, 401);
    const revoked = await cli(['user', 'revoke-tokens', '--email', 'mia@example.com'], { accounts });
    assert.deepEqual([revoked.code, revoked.stdout], [0, 'Revoked every login token of mia@example.com\n']);
    assert.equal((await asToken(token)).status, 401);
    const minted = await newKey(token);
    assert.deepEqual([minted.status, minted.body.error], [401, 'invalid, expired or revoked token; log in again']);
    // A new login works (and its token too).
    assert.equal((await asToken((await login('mia@example.com', 'first password')).body.token)).status, 200);
  });

  test('passwd: the old password and its tokens stop working, the new one logs in', async () => {
    await s.user('noah', { password: 'old password' });
    const token = (await login('noah@example.com', 'old password')).body.token as string;
    const weak = await passwd('noah@example.com', 'short\n');
    assert.deepEqual([weak.code, weak.stderr], [1, 'Error: the password must have at least 8 characters\n']);
    const changed = await passwd('noah@example.com', 'new password\n');
    assert.equal(changed.stdout, 'Changed the password of noah@example.com; its login tokens no longer work\n');
    assert.equal((await asToken(token)).status, 401);
    assert.equal((await newKey(token)).status, 401);
    assert.equal((await login('noah@example.com', 'old password')).status, 401);
    assert.equal((await asToken((await login('noah@example.com', 'new password')).body.token)).status, 200);
  });

  test('disable: keys, tokens and logins are refused; enable brings the keys back, not the old tokens', async () => {
    const { key } = await s.user('olga', { password: 'olga password' });
    const token = (await login('olga@example.com', 'olga password')).body.token as string;
    const disabled = await cli(['user', 'disable', '--email', 'olga@example.com'], { accounts });
    assert.equal(disabled.stdout, 'Disabled olga@example.com: its API keys and login tokens no longer work\n');
    const byKey = await s.api('/api/v1/gpu/reservations', { key });
    assert.deepEqual([byKey.status, byKey.body.error], [401, 'this account is disabled']);
    assert.equal((await asToken(token)).status, 401);
    assert.equal((await newKey(token)).status, 401);
    assert.equal((await login('olga@example.com', 'olga password')).status, 401);
    const listed = await cli(['user', 'list'], { accounts });
    assert.match(listed.stdout, /^olga@example\.com {2}olga {2}user {2}disabled \S+Z$/m);
    assert.equal((await cli(['user', 'enable', '--email', 'olga@example.com'], { accounts })).code, 0);
    assert.equal((await s.api('/api/v1/gpu/reservations', { key })).status, 200);
    assert.equal((await asToken(token)).status, 401);
    assert.equal((await login('olga@example.com', 'olga password')).status, 200);
  });

  test('delete: refused while the user holds a reservation; then keys die, the ledger stays', async () => {
    const { key, user } = await s.user('pia', { password: 'pia password' });
    const reserved = await reserve(key);
    assert.equal(reserved.status, 201);
    const refused = await cli(['user', 'delete', '--email', 'pia@example.com'], { accounts });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^Error: pia@example\.com holds 1 active reservation\(s\): end them first/);
    const contract = reserved.body.reserved_instances[0].metadata.contract_id;
    assert.equal((await s.api(`/api/v1/gpu/instances/local/${contract}`, { method: 'DELETE', key })).status, 200);
    const deleted = await cli(['user', 'delete', '--email', 'pia@example.com'], { accounts });
    assert.equal(deleted.stdout, 'Deleted pia@example.com: its API keys are revoked, its ledger is kept\n');
    assert.equal((await s.api('/api/v1/gpu/reservations', { key })).status, 401);
    assert.equal((await login('pia@example.com', 'pia password')).status, 401);
    assert.equal((await s.accounts.transactions(user.id, 10, 0)).total, 1);
    assert.doesNotMatch((await cli(['user', 'list'], { accounts })).stdout, /pia@/);
    const again = await cli(['user', 'add', '--email', 'pia@example.com'], { accounts });
    assert.equal(again.code, 0);
    assert.notEqual((await s.accounts.userByEmail('pia@example.com'))!.id, user.id);
    const missing = await cli(['user', 'disable', '--email', 'ghost@example.com'], { accounts });
    const hint = "add one with 'canhazgpu user add --email ghost@example.com'";
    assert.equal(missing.stderr, `Error: no user ghost@example.com; ${hint}\n`);
    const usage = await cli(['user', 'enable'], { accounts });
    assert.equal(usage.stderr, 'Error: --email is required. Usage: canhazgpu user enable --email EMAIL\n');
  });
});
