import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { User } from './records/ports.js';
import { SqliteRecords } from './records/sqlite/sqlite-records.js';
import { hashPassword } from './auth.js';
import { ApiError } from './errors.js';
import { Identity, RateLimiter } from './identity.js';
import { LoginLockout, lockMs, MAX_LOCK_MS } from './login-lockout.js';

test('a rate limiter allows a burst of twice the rate, refills, and forgets callers whose bucket filled up again', () => {
  let now = 1_000_000;
  const limiter = new RateLimiter(5, () => now);
  for (let i = 0; i < 10; i++) limiter.take('key:a');
  assert.throws(
    () => limiter.take('key:a'),
    (e) => e instanceof ApiError && e.code === 'RESOURCE_EXHAUSTED',
  );
  now += 200;
  limiter.take('key:a');
  // 20,000 one-off callers (a spray of made-up emails) do not stay in memory once their buckets refill.
  for (let i = 0; i < 20_000; i++) limiter.take(`email:${i}@example.com`);
  assert.ok(limiter.tracked > 10_000);
  now += 2_000;
  limiter.take('key:b');
  assert.ok(limiter.tracked <= 2, `${limiter.tracked} buckets kept`);
});

describe('logins', () => {
  const dir = mkdtempSync(join(tmpdir(), 'canhazgpu-identity-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const code = (p: Promise<unknown>) =>
    p.then(
      () => 'OK',
      (e: unknown) => (e instanceof ApiError ? e.code : String(e)),
    );

  test('5 failures in a row lock an email for 1 s, doubling; a success resets it, a restart does not', async () => {
    const path = join(dir, 'lockout.db');
    let now = 1_800_000_000_000;
    let accounts = SqliteRecords.open(path);
    await accounts.addUser('quinn@example.com', 'quinn', false, await hashPassword('right password'), now);
    let identity = new Identity(accounts, () => now);
    const attempt = (password: string, email = 'quinn@example.com') => {
      now += 250; // within the per-email rate limit
      return code(identity.login(email, password, '127.0.0.1'));
    };
    for (let i = 0; i < 5; i++) assert.equal(await attempt('wrong password'), 'UNAUTHENTICATED');
    assert.equal(await attempt('right password'), 'RESOURCE_EXHAUSTED'); // 250 ms into a 1 s lock
    now += 1000;
    assert.equal(await attempt('wrong password'), 'UNAUTHENTICATED'); // the 6th: 2 s
    now += 1500;
    assert.equal(await attempt('right password'), 'RESOURCE_EXHAUSTED');
    // A restart keeps the lock: it is in the accounts file.
    accounts.close();
    accounts = SqliteRecords.open(path);
    identity = new Identity(accounts, () => now);
    await assert.rejects(identity.login('quinn@example.com', 'right password', '127.0.0.1'), /retry in 1 s/);
    now += 500;
    assert.equal(await attempt('right password'), 'OK');
    // The success reset the count: 4 more failures do not lock.
    for (let i = 0; i < 4; i++) assert.equal(await attempt('wrong password'), 'UNAUTHENTICATED');
    assert.equal(await attempt('right password'), 'OK');
    // Unknown emails are locked out alike, so a lock says nothing of whether an account exists.
    for (let i = 0; i < 5; i++) assert.equal(await attempt('wrong password', 'nobody@example.com'), 'UNAUTHENTICATED');
    assert.equal(await attempt('wrong password', 'nobody@example.com'), 'RESOURCE_EXHAUSTED');
    accounts.close();
  });

  test("a stranger's failures lock the email everywhere but where its owner logged in before", async () => {
    let now = 1_800_000_000_000;
    const accounts = SqliteRecords.open(join(dir, 'stranger.db'));
    await accounts.addUser('rita@example.com', 'rita', false, await hashPassword('right password'), now);
    const identity = new Identity(accounts, () => now);
    const attempt = (password: string, address: string) => {
      now += 250;
      return code(identity.login('rita@example.com', password, address));
    };
    assert.equal(await attempt('right password', '10.0.0.1'), 'OK'); // Rita, at her desk
    for (let i = 0; i < 8; i++) {
      now += 20_000; // past each lock: every guess counts
      assert.equal(await attempt(`guess ${i}`, '203.0.113.9'), 'UNAUTHENTICATED');
    }
    assert.equal(await attempt('right password', '203.0.113.9'), 'RESOURCE_EXHAUSTED', "the stranger's address");
    assert.equal(await attempt('right password', '198.51.100.7'), 'RESOURCE_EXHAUSTED', 'an address never used');
    assert.equal(await attempt('right password', '10.0.0.1'), 'OK', 'Rita at her desk is not locked out');
    // Guessing from her desk is bounded on its own: five failures there lock it too.
    for (let i = 0; i < 5; i++) assert.equal(await attempt(`desk guess ${i}`, '10.0.0.1'), 'UNAUTHENTICATED');
    assert.equal(await attempt('right password', '10.0.0.1'), 'RESOURCE_EXHAUSTED');
    accounts.close();
  });

  test('failures for other emails never make the server forget the count where an owner logged in', async () => {
    const now = 1_800_000_000_000;
    const records = { recordLoginFailure: async () => {}, resetLoginFailures: async () => {} };
    const lockout = new LoginLockout(records, () => now);
    const rita = { email: 'rita@example.com', failedLogins: 0, lockedUntil: null } as unknown as User;
    await lockout.succeeded(rita, '10.0.0.1');
    for (let i = 0; i < 8; i++) await lockout.failed('rita@example.com', rita, '10.0.0.1'); // someone at her desk
    const locked = lockout.remaining('rita@example.com', rita, '10.0.0.1');
    assert.ok(locked > 0);
    // Ten thousand failures for other emails, from elsewhere: the remembered counts are bounded, but these
    // must not push out the one that keeps her desk's guesses bounded.
    for (let i = 0; i < 10_000; i++) await lockout.failed(`nobody${i}@example.com`, null, `198.51.100.${i % 250}`);
    assert.equal(lockout.remaining('rita@example.com', rita, '10.0.0.1'), locked);
  });

  test('a lock grows to 15 minutes at most', () => {
    assert.deepEqual([4, 5, 6, 7, 14, 15, 1000].map(lockMs), [0, 1000, 2000, 4000, 512_000, MAX_LOCK_MS, MAX_LOCK_MS]);
  });

  test('guesses sent at once for one email get one check: a lock cannot be outrun in parallel', async () => {
    const accounts = SqliteRecords.open(join(dir, 'parallel.db'));
    const identity = new Identity(accounts, () => 1_800_000_000_000);
    const guesses = Array.from({ length: 8 }, (_, i) =>
      code(identity.login('target@example.com', `guess ${i}`, `127.0.1.${i + 1}`)),
    );
    const codes = await Promise.all(guesses);
    assert.deepEqual([codes.filter((c) => c === 'UNAUTHENTICATED').length, codes.length], [1, 8], codes.join(','));
    accounts.close();
  });

  test('password checks are bounded across emails and addresses: a spray is refused at once, not queued', async () => {
    const accounts = SqliteRecords.open(join(dir, 'spray.db'));
    const identity = new Identity(accounts, () => 1_800_000_000_000);
    const codes = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        code(identity.login(`spray${i}@example.com`, 'some password', `127.0.0.${i + 1}`)),
      ),
    );
    assert.equal(codes.filter((c) => c === 'UNAUTHENTICATED').length, 10, codes.join(','));
    assert.equal(codes.filter((c) => c === 'RESOURCE_EXHAUSTED').length, 10, codes.join(','));
    accounts.close();
  });
});
