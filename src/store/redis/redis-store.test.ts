// The Redis backend on a real redis-server: the shared contract, then what sharing a pool with the
// Python and Go canhazgpu tools asks of it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { RedisServer } from '../../../support/redis-server.js';
import { defaultLiveness } from '../../domain/liveness.js';
import {
  CanhazError,
  NotEnoughGpusError,
  PoolNotInitializedError,
  StoreUnavailableError,
} from '../../domain/errors.js';
import type { AllocationRequest } from '../../domain/allocation.js';
import { buildStatus } from '../../domain/status.js';
import { statusLine } from '../../domain/status-text.js';
import { runStoreContract } from '../contract.case.test.js';
import { RedisStore } from './redis-store.js';

let server: RedisServer;
let admin: Redis;
before(async () => {
  server = await RedisServer.start();
  admin = new Redis(server.url);
});
after(async () => {
  admin.disconnect();
  await server.destroy();
});

runStoreContract('redis', {
  open: async (options) => {
    await admin.flushdb();
    return RedisStore.connect(server.url, options);
  },
});

const NOW_S = 1_800_000_000;
const NOW = NOW_S * 1000;
let tokens = 0;
const request = (over: Partial<AllocationRequest> = {}): AllocationRequest => ({
  count: 1,
  user: 'alice',
  type: 'run',
  now: NOW,
  expiryTime: null,
  inUse: [],
  token: `t${++tokens}`,
  owner: null,
  liveness: defaultLiveness(),
  ...over,
});

async function withPool(count: number, keys: Record<string, string>, fn: (store: RedisStore) => Promise<void>) {
  await admin.flushdb();
  await admin.set('canhazgpu:gpu_count', String(count));
  for (const [key, value] of Object.entries(keys)) await admin.set(key, value);
  const store = await RedisStore.connect(server.url);
  try {
    await fn(store);
  } finally {
    await store.close();
  }
}

const lines = async (store: RedisStore, now = NOW) => {
  const snapshot = await store.snapshot();
  return buildStatus({ snapshot, usage: null, now, liveness: defaultLiveness(), inUseThresholdMb: 1024 }).map((r) =>
    statusLine(r, now, 1024),
  );
};

describe('redis: sharing the pool with the Python and Go tools', () => {
  test("reads the Python tool's reservations, and respects them", async () => {
    const python = {
      'canhazgpu:gpu:0': JSON.stringify({
        user: 'bob',
        start_time: NOW_S - 930,
        last_heartbeat: NOW_S - 5,
        type: 'run',
      }),
      'canhazgpu:gpu:1': JSON.stringify({
        user: 'carol',
        start_time: NOW_S - 3735,
        last_heartbeat: NOW_S - 3735,
        type: 'manual',
        expiry_time: NOW_S + 11745,
      }),
      'canhazgpu:gpu:2': JSON.stringify({ last_released: NOW_S - 60 }),
      'canhazgpu:gpu:3': JSON.stringify({}),
      'canhazgpu:gpu:4': JSON.stringify({
        user: 'dave',
        start_time: NOW_S - 4000,
        last_heartbeat: NOW_S - 1000,
        type: 'run',
      }), // stale
    };
    await withPool(6, python, async (store) => {
      assert.deepEqual(await lines(store), [
        'GPU 0: IN USE by bob for 0h 15m 30s (run, last heartbeat 0h 0m 5s ago)',
        'GPU 1: IN USE by carol for 1h 2m 15s (manual, expires in 3h 15m 45s)',
        'GPU 2: AVAILABLE (last released 0h 1m 0s ago)',
        'GPU 3: AVAILABLE',
        'GPU 4: AVAILABLE (last released 0h 16m 40s ago)',
        'GPU 5: AVAILABLE',
      ]);
      // Never-released 3 and 5 first, then 4 (stale since 1000 s ago), then 2.
      assert.deepEqual(await store.allocate(request({ count: 4 })), [3, 5, 4, 2]);
      await assert.rejects(store.allocate(request()), NotEnoughGpusError);
      // bob's Python release of carol's manual GPU is not ours to do; carol's is.
      assert.deepEqual(await store.releaseManual('bob', NOW, defaultLiveness()), []);
      assert.deepEqual(await store.releaseManual('carol', NOW, defaultLiveness()), [1]);
    });
  });

  test("reads the Go tool's RFC 3339 times, display names and extra fields, and keeps the fields intact", async () => {
    const iso = (s: number) => new Date(s * 1000).toISOString().replace('.000Z', 'Z');
    const plus2 = (s: number) => new Date((s + 7200) * 1000).toISOString().replace('.000Z', '+02:00');
    const go = {
      'canhazgpu:gpu:0': JSON.stringify({
        user: 'Team Vision',
        actual_user: 'erin',
        start_time: iso(NOW_S - 60),
        last_heartbeat: plus2(NOW_S - 10),
        type: 'run',
        note: 'ablation',
        partial_queue_id: 'q-1',
      }),
      'canhazgpu:gpu:1': JSON.stringify({
        user: 'frank',
        actual_user: 'frank',
        start_time: iso(NOW_S - 120),
        type: 'manual',
        expiry_time: plus2(NOW_S + 3600),
      }),
      'canhazgpu:gpu:2': JSON.stringify({ last_released: '2027-01-15T06:00:00.123456789Z' }), // 2 h before NOW
    };
    await withPool(3, go, async (store) => {
      assert.deepEqual(await lines(store), [
        // The Go tool's note shows in our status (and ours in theirs: the same `note` field).
        'GPU 0: IN USE by Team Vision for 0h 1m 0s (run, last heartbeat 0h 0m 10s ago) [note: ablation]',
        'GPU 1: IN USE by frank for 0h 2m 0s (manual, expires in 1h 0m 0s)',
        'GPU 2: AVAILABLE (last released 2h 0m 0s ago)',
      ]);
      const before = await admin.get('canhazgpu:gpu:0');
      await store.heartbeat('no-such-id', NOW);
      assert.equal(await admin.get('canhazgpu:gpu:0'), before);
      assert.deepEqual(await store.releaseManual('frank', NOW, defaultLiveness()), [1]);
      // GPU 2 was released 2 h ago, GPU 1 just now; erin's GPU 0 is held.
      assert.deepEqual(await store.allocate(request({ count: 2 })), [2, 1]);
    });
  });

  test('writes what the Python tool reads: integer Unix seconds as JSON numbers, its field names', async () => {
    await withPool(2, {}, async (store) => {
      await store.allocate(
        request({
          count: 1,
          type: 'manual',
          expiryTime: NOW + 3600_500,
          owner: { host: 'h', pid: 7, startTime: '99' },
          note: 'sweep 3',
        }),
      );
      const manual = JSON.parse((await admin.get('canhazgpu:gpu:0'))!);
      assert.deepEqual(manual, {
        user: 'alice',
        start_time: NOW_S,
        last_heartbeat: NOW_S,
        type: 'manual',
        expiry_time: NOW_S + 3600,
        reservation_id: manual.reservation_id,
        owner_host: 'h',
        owner_pid: 7,
        owner_start: '99',
        note: 'sweep 3', // the Go rewrite's field: its status shows our note
      });
      const run = request();
      await store.allocate(run);
      await store.heartbeat(run.token, NOW + 61_700);
      const entry = JSON.parse((await admin.get('canhazgpu:gpu:1'))!);
      assert.equal(entry.last_heartbeat, NOW_S + 61);
      assert.equal(entry.start_time, NOW_S);
      assert.equal('expiry_time' in entry, false);
      await store.releaseToken(run.token, NOW + 99_900);
      // Who gave it back is ours (admin --policy mru-per-user); the other tools ignore it.
      assert.deepEqual(JSON.parse((await admin.get('canhazgpu:gpu:1'))!), {
        last_released: NOW_S + 99,
        last_released_by: 'alice',
      });
    });
  });

  test('bad data: each unreadable GPU is named in status and skipped by allocation; nothing crashes', async () => {
    await withPool(
      6,
      {
        'canhazgpu:gpu:0': '{"user": "bob", "start_time": ',
        'canhazgpu:gpu:2': JSON.stringify({ user: 42, start_time: NOW_S }),
        'canhazgpu:gpu:3': JSON.stringify({ user: 'bob', start_time: 'yesterday', type: 'run' }),
        'canhazgpu:gpu:4': '[]',
      },
      async (store) => {
        await admin.hset('canhazgpu:gpu:5', 'user', 'mallory');
        const status = await lines(store);
        assert.match(status[0]!, /^GPU 0: UNKNOWN \(canhazgpu:gpu:0: unreadable JSON /);
        assert.equal(status[1], 'GPU 1: AVAILABLE');
        assert.equal(status[2], 'GPU 2: UNKNOWN (canhazgpu:gpu:2: user is not a string)');
        assert.equal(status[3], 'GPU 3: UNKNOWN (canhazgpu:gpu:3: unreadable start_time "yesterday")');
        assert.match(status[4]!, /^GPU 4: UNKNOWN \(canhazgpu:gpu:4: not a JSON object/);
        assert.match(status[5]!, /^GPU 5: UNKNOWN \(canhazgpu:gpu:5: WRONGTYPE/);
        assert.deepEqual(await store.allocate(request()), [1]);
        await assert.rejects(store.allocate(request()), (e) => e instanceof NotEnoughGpusError && e.available === 0);
      },
    );
  });

  test('Lua and TypeScript agree on nulls, stray fields and number-like strings', async () => {
    const t = NOW_S - 10;
    await withPool(
      5,
      {
        // A run with "expiry_time": null is a live run, not a manual reservation that expired.
        'canhazgpu:gpu:0': JSON.stringify({ user: 'bob', start_time: t, last_heartbeat: t, expiry_time: null }),
        // An unreadable time the type does not even use still makes the GPU unreadable.
        'canhazgpu:gpu:1': JSON.stringify({
          user: 'bob',
          type: 'run',
          start_time: t,
          last_heartbeat: t,
          expiry_time: 'soon',
        }),
        // Hex and infinity are not Unix seconds.
        'canhazgpu:gpu:2': JSON.stringify({ user: 'bob', type: 'run', start_time: t, last_heartbeat: '0x10' }),
        'canhazgpu:gpu:3': JSON.stringify({
          user: 'bob',
          type: null,
          start_time: t,
          last_heartbeat: t,
          expiry_time: NOW_S + 60,
        }),
      },
      async (store) => {
        const status = await lines(store);
        assert.match(status[0]!, /^GPU 0: IN USE by bob for 0h 0m 10s \(run,/);
        assert.match(status[1]!, /^GPU 1: UNKNOWN \(canhazgpu:gpu:1: unreadable expiry_time "soon"\)$/);
        assert.match(status[2]!, /^GPU 2: UNKNOWN \(canhazgpu:gpu:2: unreadable last_heartbeat "0x10"\)$/);
        assert.match(status[3]!, /^GPU 3: IN USE by bob for 0h 0m 10s \(manual, expires in 0h 1m 0s\)$/);
        assert.deepEqual(await store.allocate(request({ count: 1 })), [4]);
        await assert.rejects(store.allocate(request()), (e) => e instanceof NotEnoughGpusError && e.available === 0);
      },
    );
  });

  test('Lua and TypeScript read RFC 3339 times by one rule: impossible dates and bare points are unreadable to both', async () => {
    const bad = [
      '2020-13-01T00:00:00Z',
      '2021-02-29T00:00:00Z',
      '2020-04-31T00:00:00Z',
      '2020-01-01T24:00:00Z',
      '2020-01-01T00:00:00.Z',
      '2020-01-01T00:00:00+24:00',
    ];
    const good = { iso: '2024-02-29T23:59:59.5+01:30', seconds: Date.UTC(2024, 1, 29, 22, 29, 59) / 1000 };
    await withPool(
      bad.length + 2,
      {
        ...Object.fromEntries(
          bad.map((t, i) => [
            `canhazgpu:gpu:${i}`,
            JSON.stringify({ user: 'bob', type: 'run', start_time: t, last_heartbeat: t }),
          ]),
        ),
        [`canhazgpu:gpu:${bad.length}`]: JSON.stringify({
          user: 'bob',
          type: 'manual',
          start_time: good.iso,
          expiry_time: NOW_S + 3600,
        }),
      },
      async (store) => {
        const { slots } = await store.snapshot();
        bad.forEach((t, i) =>
          assert.equal(slots[i]!.problem, `canhazgpu:gpu:${i}: unreadable start_time ${JSON.stringify(t)}`),
        );
        assert.equal(slots[bad.length]!.reservation!.startTime, good.seconds * 1000);
        // Allocation (Lua) skips what status cannot read, and takes only the free GPU.
        assert.deepEqual(await store.allocate(request({ count: 1 })), [bad.length + 1]);
        await assert.rejects(store.allocate(request()), (e) => e instanceof NotEnoughGpusError && e.available === 0);
      },
    );
  });

  test('a missing or junk gpu_count: not initialised, or one clear line', async () => {
    await admin.flushdb();
    await admin.set('canhazgpu:gpu:0', '{}');
    const store = await RedisStore.connect(server.url);
    try {
      await assert.rejects(store.snapshot(), PoolNotInitializedError);
      await admin.set('canhazgpu:gpu_count', 'eight');
      await assert.rejects(
        store.snapshot(),
        (e) => e instanceof CanhazError && e.message.startsWith('canhazgpu:gpu_count holds "eight"'),
      );
      await assert.rejects(store.allocate(request()), CanhazError);
      await admin.set('canhazgpu:gpu_count', '50000000');
      await assert.rejects(
        store.snapshot(),
        (e) => e instanceof CanhazError && /not a number of GPUs \(0 to 1024\)/.test(e.message),
      );
      await admin.del('canhazgpu:gpu_count');
      await admin.hset('canhazgpu:gpu_count', 'n', '8');
      await assert.rejects(
        store.snapshot(),
        (e) =>
          e instanceof StoreUnavailableError &&
          e.message.startsWith(`The GPU store at ${server.url} answered: WRONGTYPE`),
      );
      await admin.del('canhazgpu:gpu_count');
      await admin.set('canhazgpu:gpu_count', 'eight');
      assert.deepEqual(await store.initialize(2, true, NOW), { previousCount: 0 });
      assert.equal((await store.snapshot()).gpuCount, 2);
      assert.equal(await admin.exists('canhazgpu:gpu:0'), 0);
    } finally {
      await store.close();
    }
  });

  test('waits while another tool holds the allocation lock, then allocates', async () => {
    await withPool(2, {}, async (store) => {
      await admin.set('canhazgpu:allocation_lock', 'python:123:1', 'PX', 400);
      const start = Date.now();
      assert.deepEqual(await store.allocate(request()), [0]);
      assert.ok(Date.now() - start >= 300, 'allocated while the lock was held');
    });
  });

  test('an unreachable Redis is one clear line naming the URL, with the password hidden', async () => {
    const url = `redis://user:s3cret@127.0.0.1:${server.port + 1}/0`;
    await assert.rejects(
      RedisStore.connect(url),
      (e) =>
        e instanceof StoreUnavailableError &&
        e.message.startsWith(`Cannot reach the GPU store at redis://user:***@127.0.0.1:${server.port + 1}/0 (`) &&
        !e.message.includes('s3cret'),
    );
  });
});

describe("redis: the history in the Go rewrite's usage_history_sorted", () => {
  test('writes the records the Go tool reads: its fields, RFC 3339 times, scored by end in Unix seconds', async () => {
    await withPool(2, {}, async (store) => {
      const run = request({ count: 1 });
      await store.allocate(run);
      await store.releaseToken(run.token, NOW + 90_500);
      const [member, score] = await admin.zrange('canhazgpu:usage_history_sorted', '0', '-1', 'WITHSCORES');
      assert.equal(Number(score), NOW_S + 90);
      assert.deepEqual(JSON.parse(member!), {
        user: 'alice',
        gpu_id: 0,
        start_time: '2027-01-15T08:00:00Z',
        end_time: '2027-01-15T08:01:30Z',
        duration_seconds: 90,
        reservation_type: 'run',
        note: '',
        end_reason: 'released',
        reservation_id: run.token,
      });
      assert.equal(new Date('2027-01-15T08:00:00Z').getTime(), NOW, 'the fixture times are NOW');
      assert.ok((await admin.ttl('canhazgpu:usage_history_sorted')) > 89 * 86_400, 'kept 90 days, as the Go tool sets');
    });
  });

  test("reads the Go tool's own records (RFC 3339 with nanoseconds, no reason: released) and skips junk", async () => {
    await withPool(1, {}, async (store) => {
      const go = JSON.stringify({
        user: 'bob',
        gpu_id: 3,
        start_time: '2027-01-15T07:00:00.123456789Z',
        end_time: '2027-01-15T08:00:00.5Z',
        duration_seconds: 3600.4,
        reservation_type: 'manual',
      });
      await admin.zadd('canhazgpu:usage_history_sorted', NOW_S, go, NOW_S, 'not json', NOW_S, '{"user":1}');
      assert.deepEqual(await store.history(NOW - 1000, NOW), [
        {
          user: 'bob',
          gpuId: 3,
          type: 'manual',
          note: '',
          startTime: NOW - 3_600_000,
          endTime: NOW,
          reason: 'released',
          reservationId: null,
        },
      ]);
    });
  });
});

test("an older version's prober lock (its bare pid) names no one, and is waited out rather than taken over", async () => {
  await withPool(1, { 'canhazgpu:reading_lock:h': '4242' }, async (store) => {
    const waiter = { host: 'box', pid: 5, startTime: null };
    assert.equal(await store.proberOf('h'), null);
    assert.equal(await store.claimProbe('h', NOW, 60_000, waiter, { host: 'box', pid: 4242, startTime: null }), false);
    assert.equal(await admin.get('canhazgpu:reading_lock:h'), '4242');
  });
});

test('unreserved use is a hash per UTC day, `<hour start ms>|<user>` counting seconds, indexed by day', async () => {
  await withPool(1, {}, async (store) => {
    const day = Date.UTC(2027, 0, 15);
    const lateHour = day + 23 * 3_600_000;
    await store.addUnreserved(
      [
        { user: 'alice', hourStart: NOW, seconds: 1.5 },
        { user: 'bob', hourStart: lateHour, seconds: 60 },
        { user: 'alice', hourStart: lateHour + 3_600_000, seconds: 2 },
      ],
      NOW,
    );
    await store.addUnreserved([{ user: 'alice', hourStart: NOW, seconds: 1 }], NOW);
    assert.deepEqual(await admin.hgetall('canhazgpu:unreserved:2027-01-15'), {
      [`${NOW}|alice`]: '2.5',
      [`${lateHour}|bob`]: '60',
    });
    assert.deepEqual(await admin.hgetall('canhazgpu:unreserved:2027-01-16'), {
      [`${lateHour + 3_600_000}|alice`]: '2',
    });
    assert.deepEqual(await admin.zrange('canhazgpu:unreserved_days', '0', '-1', 'WITHSCORES'), [
      String(day),
      String(day),
      String(day + 86_400_000),
      String(day + 86_400_000),
    ]);
    for (const key of ['canhazgpu:unreserved_days', 'canhazgpu:unreserved:2027-01-16']) {
      assert.ok((await admin.ttl(key)) > 90 * 86_400, `${key} outlives the 90 days kept by a day`);
    }
  });
});

describe("the wait queue in the Go rewrite's keys", () => {
  test("a Go waiter is read back (RFC 3339 times, a duration in nanoseconds, the enqueue time as the score) and judged by Go's 2-minute heartbeat", async () => {
    await admin.flushdb();
    // As the Go tool's AddToQueue writes it (internal/redis_client/client.go): json.Marshal of QueueEntry.
    const enqueued = new Date(NOW - 60_000);
    const goEntry = {
      id: 'go-1',
      user: 'erin',
      actual_user: 'erin.s',
      requested_count: 0,
      requested_ids: [2, 5],
      allocated_gpus: null,
      reservation_type: 'manual',
      expiry_duration: 7_200_000_000_000,
      note: 'from the Go tool',
      enqueue_time: '2027-01-15T08:39:00.123456789Z'.replace(
        '2027-01-15T08:39:00',
        enqueued.toISOString().slice(0, 19),
      ),
      last_heartbeat: new Date(NOW - 50_000).toISOString().replace('Z', '+00:00'),
      wait_timeout: new Date(NOW + 600_000).toISOString(),
    };
    await admin.set('canhazgpu:queue:entry:go-1', JSON.stringify(goEntry));
    await admin.zadd('canhazgpu:queue', enqueued.getTime() * 1e6, 'go-1');
    const store = await RedisStore.connect(server.url);
    try {
      const [entry] = await store.queue.waiters();
      assert.deepEqual(entry, {
        id: 'go-1',
        user: 'erin',
        actualUser: 'erin.s',
        count: 0,
        requestedIds: [2, 5],
        type: 'manual',
        durationMs: 7_200_000,
        note: 'from the Go tool',
        enqueuedAt: enqueued.getTime(),
        lastHeartbeat: NOW - 50_000,
        waitUntil: NOW + 600_000,
        ours: false,
      });
      const { isGhost } = await import('../../domain/queue.js');
      assert.equal(isGhost(entry!, NOW), false, 'Go beats every 30 s: 50 s without one is no ghost');
      assert.equal(isGhost(entry!, NOW + 80_000), true);
    } finally {
      await store.close();
    }
  });

  test('our waiter is written as the Go tool reads it', async () => {
    await admin.flushdb();
    const store = await RedisStore.connect(server.url);
    try {
      await store.queue.enqueue({
        id: 'ours-1',
        user: 'alice',
        actualUser: 'alice',
        count: 4,
        requestedIds: null,
        type: 'manual',
        durationMs: 1_800_000,
        note: 'eval',
        enqueuedAt: NOW + 0.5,
        lastHeartbeat: NOW,
        waitUntil: null,
        ours: true,
      });
      const [member, score] = await admin.zrange('canhazgpu:queue', '0', '-1', 'WITHSCORES');
      assert.deepEqual([member, Number(score)], ['ours-1', (NOW + 0.5) * 1e6], 'the score: Unix nanoseconds, as Go');
      const raw = JSON.parse((await admin.get('canhazgpu:queue:entry:ours-1'))!);
      assert.deepEqual(raw, {
        id: 'ours-1',
        user: 'alice',
        actual_user: 'alice',
        requested_count: 4,
        allocated_gpus: [],
        reservation_type: 'manual',
        expiry_duration: 1_800_000_000_000, // time.Duration: nanoseconds
        note: 'eval',
        enqueue_time: new Date(NOW).toISOString(),
        last_heartbeat: new Date(NOW).toISOString(),
        heartbeat_interval_seconds: 2,
      });
    } finally {
      await store.close();
    }
  });
});

test('a queue member without a readable entry is dropped, and blocks no allocation', async () => {
  await withPool(2, {}, async (store) => {
    await admin.zadd('canhazgpu:queue', 1, 'no-entry');
    await admin.zadd('canhazgpu:queue', 2, 'junk');
    await admin.set('canhazgpu:queue:entry:junk', '{"id": "junk", "user": "x", "requested_count": -3}');
    assert.deepEqual(await store.queue.waiters(), []);
    assert.deepEqual(await admin.zrange('canhazgpu:queue', '0', '-1'), []);
    assert.deepEqual(await store.allocate(request({ queueSeen: [] })), [0]);
  });
});
