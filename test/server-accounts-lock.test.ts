// Another process holding the accounts file's write lock must not freeze the server: its writes
// wait asleep while every other request is answered, and go through once the lock is released.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import type Database from 'better-sqlite3';
import { withTestServer } from './support/server.js';

const Driver = createRequire(import.meta.url)('better-sqlite3') as typeof Database;
const LOCK_MS = 400;

test('accounts locked by another process: /health keeps answering, a reservation is recorded after', async () => {
  await withTestServer({ gpus: 2 }, async (s) => {
    const { key } = await s.user('lena');
    // Warmed up: the first requests of a fresh server are slow for reasons of their own.
    for (let i = 0; i < 5; i++) await Promise.all([s.api('/health'), s.api('/api/v1/gpu/instances', { key })]);
    // Another connection, as `canhazgpu user …` or sqlite3 would be: in this process, so a server that
    // blocked its event loop on the lock would also stop this timer from releasing it.
    const other = new Driver(join(s.dir, 'server.db'));
    other.exec('BEGIN IMMEDIATE');
    const lockedAt = performance.now();
    let releasedAt = 0;
    const release = new Promise<void>((resolve) => setTimeout(() => {
      other.exec('COMMIT');
      other.close();
      releasedAt = performance.now();
      resolve();
    }, LOCK_MS));
    const reserving = s.api('/api/v1/gpu/instances/reserve', {
      method: 'POST', key, body: JSON.stringify({ count: 1, filters: { provider: 'local' } }),
    }).then((r) => ({ ...r, at: performance.now() }));
    const healthy: number[] = [];
    while (!releasedAt) {
      const started = performance.now();
      assert.equal((await s.api('/health')).status, 200);
      if (!releasedAt) healthy.push(performance.now() - started);
    }
    await release;
    const reserved = await reserving;
    assert.equal(reserved.status, 201, JSON.stringify(reserved.body));
    assert.ok(reserved.at >= releasedAt, 'the record waited for the lock');
    assert.ok(releasedAt - lockedAt >= LOCK_MS - 5);
    // A server blocked on the lock answers nothing until SQLite gives up (30 s), and this process's timer
    // could not release it either: one answer while locked is the proof, whatever the machine's load.
    assert.ok(healthy.length >= 1, `/health answered ${healthy.length} times while the accounts were locked`);
    assert.equal((await s.accounts.activeReservations()).length, 1);
  });
});
