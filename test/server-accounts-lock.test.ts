// Another process holding the accounts file's write lock must not freeze the server: its writes
// wait asleep while every other request is answered, and go through once the lock is released.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import type Database from 'better-sqlite3';
import { withTestServer } from './support/server.js';

const Driver = createRequire(import.meta.url)('better-sqlite3') as typeof Database;

test('accounts locked by another process: /health keeps answering, a reservation is recorded after', async () => {
  await withTestServer({ gpus: 2 }, async (s) => {
    const { key } = await s.user('lena');
    // Warmed up: the first requests of a fresh server are slow for reasons of their own.
    for (let i = 0; i < 5; i++) await Promise.all([s.api('/health'), s.api('/api/v1/gpu/instances', { key })]);
    // Another connection, as `canhazgpu user …` or sqlite3 would be: in this process, so a server that
    // blocked its event loop on the lock would block this test too, and it would never answer /health.
    const other = new Driver(join(s.dir, 'server.db'));
    other.exec('BEGIN IMMEDIATE');
    let reserved: { status: number; body: unknown } | null = null;
    const reserving = s
      .api('/api/v1/gpu/instances/reserve', {
        method: 'POST',
        key,
        body: JSON.stringify({ count: 1, filters: { provider: 'local' } }),
      })
      .then((r) => (reserved = r));
    try {
      for (let i = 0; i < 3; i++) assert.equal((await s.api('/health')).status, 200);
      assert.equal(reserved, null, 'the record waits for the lock');
    } finally {
      other.exec('COMMIT');
      other.close();
    }
    const answer = await reserving;
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
    assert.equal((await s.accounts.activeReservations()).length, 1);
  });
});
