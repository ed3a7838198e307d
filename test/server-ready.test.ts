// /health says the server runs; /ready says whether it can serve (the pool's store and the accounts
// answer). A store outage is logged once when it starts and once when it ends, not per request.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ACCOUNTS_UNAVAILABLE } from '../src/server/deps.js';
import { STORE_UNAVAILABLE } from '../src/server/errors.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { startTestServer, withTestServer } from './support/server.js';

test('/ready: 200 while the store answers, 503 with one sentence while it fails; one log line each way', async () => {
  const logLines: string[] = [];
  await withTestServer({ gpus: 2, logLines, logFormat: 'text' }, async (s) => {
    const { key } = await s.user('lee');
    assert.deepEqual((await s.api('/ready')).body, { status: 'ready' });
    const storePath = join(s.dir, 'pool', 'state.db');
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${storePath}${suffix}`, { force: true });
    for (let i = 0; i < 3; i++) {
      const ready = await s.api('/ready');
      assert.deepEqual([ready.status, ready.body], [503, { error: STORE_UNAVAILABLE }]);
      assert.equal((await s.api('/api/v1/gpu/instances', { key })).status, 503);
      assert.equal((await s.api('/api/v1/status', { key })).status, 503);
      assert.equal((await s.api('/health')).status, 200, 'liveness is not readiness');
    }
    // A new `admin` sets the pool up again; the server follows the new file.
    const admin = SqliteStore.create(storePath);
    await admin.initialize(2, false, Date.now());
    await admin.close();
    assert.equal((await s.api('/ready')).status, 200);
    assert.equal((await s.api('/api/v1/gpu/instances', { key })).status, 200);
  });
  const events = logLines.filter((l) => !/ (GET|POST) /.test(l));
  assert.equal(events.length, 2, events.join('\n'));
  assert.match(events[0]!, /^\S+ store unavailable: The GPU store \S+state\.db was removed while in use; run /);
  assert.match(events[1]!, /^\S+ store available again$/);
});

test('/ready: 503 naming the accounts when they cannot be read; both routes are in the OpenAPI document', async () => {
  const s = await startTestServer({});
  try {
    const doc = (await s.api('/openapi.json')).body;
    assert.ok(doc.paths['/health']?.get && doc.paths['/ready']?.get, Object.keys(doc.paths).join(', '));
    s.accounts.close();
    const ready = await s.api('/ready');
    assert.deepEqual([ready.status, ready.body], [503, { error: ACCOUNTS_UNAVAILABLE }]);
  } finally {
    await s.close();
    await s.store.close();
    rmSync(s.dir, { recursive: true, force: true });
  }
});
