// GET /api/v1/report over loopback: the same document as `canhazgpu report --json`, key required.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from './support/server.js';

const T0 = 1_800_000_000_000;
const HOUR = 3_600_000;

describe('HTTP report', () => {
  let s: TestServer;
  let now = T0;
  let alice: { key: string };
  let bob: { key: string };
  before(async () => {
    s = await startTestServer({ gpus: 4, clock: { now: () => now } });
    alice = await s.user('alice');
    bob = await s.user('bob');
  });
  after(() => s.stop());

  const reserve = (key: string, count: number) =>
    s.api('/api/v1/gpu/instances/reserve', {
      method: 'POST',
      key,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ count, filters: { provider: 'local' } }),
    });

  test('GPU-hours per user from what the server reserved and ended, and what it holds now', async () => {
    const made = await reserve(alice.key, 2);
    assert.equal(made.status, 201, JSON.stringify(made.body));
    now = T0 + HOUR / 2;
    assert.equal((await reserve(bob.key, 1)).status, 201);
    now = T0 + HOUR;
    for (const i of made.body.reserved_instances) {
      const path = `/api/v1/gpu/instances/local/${i.metadata.contract_id}`;
      assert.equal((await s.api(path, { method: 'DELETE', key: alice.key })).status, 200);
    }
    now = T0 + 2 * HOUR;
    const r = await s.api('/api/v1/report?days=1', { key: bob.key });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(
      { ...r.body, users: r.body.users.map((u: Record<string, unknown>) => [u.user, u.gpu_hours, u.in_progress]) },
      {
        from: new Date(T0 + 2 * HOUR - 24 * HOUR).toISOString(),
        to: new Date(T0 + 2 * HOUR).toISOString(),
        days: 1,
        total_gpu_hours: 3.5,
        users: [
          ['api:alice@example.com', 2, 0],
          ['api:bob@example.com', 1.5, 1],
        ],
        total_unreserved_gpu_hours: 0,
        unreserved: [],
      },
    );
    assert.deepEqual(r.body.users[0].ended, { expired: 0, stale: 0, crashed: 0, forced: 0, timed_out: 0 });
    assert.equal((await s.api('/api/v1/report', { key: bob.key })).body.days, 30);
  });

  test('a key is required, and a bad number of days is 400 with one sentence', async () => {
    assert.equal((await s.api('/api/v1/report')).status, 401);
    for (const days of ['0', '1.5', 'x', '99999999']) {
      const r = await s.api(`/api/v1/report?days=${days}`, { key: alice.key });
      assert.equal(r.status, 400, days);
      assert.match(r.body.error, /^days: /);
    }
  });
});
