import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sign, verify } from 'hono/jwt';
import { signToken, verifyToken } from './tokens.js';

const NOW = 1_800_000_000_000;
const S = NOW / 1000;
const claims = { sub: 'user-1', gen: 2, iat: S, exp: S + 3600 };

test('a token verifies with its secret until it expires', () => {
  const token = signToken(claims, 'secret');
  assert.deepEqual(verifyToken(token, 'secret', NOW), claims);
  assert.deepEqual(verifyToken(token, 'secret', NOW + 3_599_000), claims);
  assert.equal(verifyToken(token, 'secret', NOW + 3_600_000), null);
  assert.equal(verifyToken(token, 'other secret', NOW), null);
  // Issued after "now" (a clock moved back) or not valid yet.
  assert.equal(verifyToken(token, 'secret', NOW - 1000), null);
  assert.equal(verifyToken(signToken({ ...claims, nbf: S + 10 }, 'secret'), 'secret', NOW), null);
  assert.equal(verifyToken(signToken({ ...claims, exp: 'never' }, 'secret'), 'secret', NOW), null);
});

test('a changed payload, another algorithm or garbage is refused', () => {
  const [header, , signature] = signToken(claims, 'secret').split('.');
  const forged = Buffer.from(JSON.stringify({ ...claims, sub: 'admin' })).toString('base64url');
  assert.equal(verifyToken(`${header}.${forged}.${signature}`, 'secret', NOW), null);
  const none = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url');
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  assert.equal(verifyToken(`${none}.${payload}.`, 'secret', NOW), null);
  for (const junk of ['', 'a.b', 'forged.token.here', 'a.b.c.d', '...']) {
    assert.equal(verifyToken(junk, 'secret', NOW), null);
  }
});

test('tokens of earlier releases (hono/jwt) verify, and hono/jwt reads ours', async () => {
  const now = Math.floor(Date.now() / 1000);
  const live = { sub: 'user-1', gen: 0, iat: now, exp: now + 60 };
  assert.deepEqual(verifyToken(await sign(live, 'secret', 'HS256'), 'secret', Date.now()), live);
  assert.deepEqual(await verify(signToken(live, 'secret'), 'secret', 'HS256'), live);
});
