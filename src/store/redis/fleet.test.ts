// Several hosts on one Redis: each keeps its own pool; the plain keys stay one host's, in the other tools' format.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { redisFixture } from '../../../support/redis-fixture.js';
import { defaultLiveness } from '../../domain/liveness.js';
import { PoolAlreadyInitializedError } from '../../domain/errors.js';
import { runStoreContract } from '../contract.case.test.js';
import { RedisStore, type RedisStoreOptions } from './redis-store.js';

const fixture = redisFixture();

// Every script of the store on a tagged pool: the contract holds there as on the plain keys.
runStoreContract('redis, a fleet host beside the plain keys', {
  open: async (options) => {
    await fixture.redis.flushdb();
    await fixture.redis.set('canhazgpu:pool_host', 'first');
    return RedisStore.connect(fixture.server.url, { host: 'second', ...options });
  },
});

const connect = (host: string) => RedisStore.connect(fixture.server.url, { host, version: '9.9' });
const NOW = 1_800_000_000_000;
const grant = (count: number, token: string) => ({
  count,
  user: 'alice',
  type: 'manual' as const,
  now: NOW,
  expiryTime: NOW + 3_600_000,
  inUse: [],
  token,
  owner: null,
  liveness: defaultLiveness(),
});

describe('a fleet on one Redis', () => {
  test('the first host to set up claims the plain keys; the others get tagged pools of their own', async () => {
    await fixture.redis.flushdb();
    const [a, b] = [await connect('host-a'), await connect('host-b')];
    try {
      await a.initialize(2, false, NOW);
      await b.initialize(3, false, NOW); // connected before a claimed the plain keys: moves to its own
      assert.equal(await fixture.redis.get('canhazgpu:pool_host'), 'host-a');
      assert.equal(await fixture.redis.get('canhazgpu:gpu_count'), '2');
      assert.equal(await fixture.redis.get('canhazgpu:{host-b}:gpu_count'), '3');
      assert.deepEqual(await a.allocate(grant(2, 'ta')), [0, 1]);
      assert.deepEqual(await b.allocate(grant(3, 'tb')), [0, 1, 2]);
      assert.equal(JSON.parse((await fixture.redis.get('canhazgpu:gpu:1'))!).reservation_id, 'ta');
      assert.equal(JSON.parse((await fixture.redis.get('canhazgpu:{host-b}:gpu:2'))!).reservation_id, 'tb');
      // Each sees the other's pool through poolOf, and its own as itself.
      assert.equal((await a.poolOf('host-b').snapshot()).gpuCount, 3);
      assert.equal((await b.poolOf('host-a').snapshot()).gpuCount, 2);
      assert.equal(a.poolOf('host-a'), a);
      // Each pool keeps its own history, in its own slot.
      await a.releaseToken('ta', NOW + 1000);
      await b.releaseToken('tb', NOW + 1000);
      assert.equal(await fixture.redis.zcard('canhazgpu:usage_history_sorted'), 2);
      assert.equal(await fixture.redis.zcard('canhazgpu:{host-b}:usage_history_sorted'), 3);
      assert.deepEqual(
        (await b.history(0, Infinity)).map((r) => r.gpuId),
        [0, 1, 2],
      );
      await a.allocate(grant(2, 'ta2'));
      await b.allocate(grant(3, 'tb2'));
      // A forced admin on b leaves a's GPUs alone.
      await b.initialize(1, true, NOW);
      assert.equal(await fixture.redis.get('canhazgpu:gpu_count'), '2');
      assert.ok(await fixture.redis.get('canhazgpu:gpu:0'));
      assert.equal(await fixture.redis.get('canhazgpu:{host-b}:gpu:2'), null);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  test("a pool the other tools set up becomes the first host's that runs admin there", async () => {
    await fixture.redis.flushdb();
    await fixture.redis.set('canhazgpu:gpu_count', '4');
    const a = await connect('host-a');
    await assert.rejects(a.initialize(4, false, NOW), PoolAlreadyInitializedError);
    await a.close();
    assert.equal(await fixture.redis.get('canhazgpu:pool_host'), 'host-a');
    const b = await connect('host-b');
    await assert.rejects(b.snapshot(), /not initialized|admin/i); // b has no pool of its own yet
    await b.close();
  });

  test('every host registers: a command refreshes when it was seen, a reading what it has', async () => {
    await fixture.redis.flushdb();
    const a = await connect('host-a');
    const b = await connect('host-b');
    try {
      const usage = [0, 1].map((index) => ({
        index,
        uuid: null,
        name: 'NVIDIA H100',
        memoryUsedMb: 0,
        memoryTotalMb: 80_000,
        processes: [],
      }));
      await b.saveReading({ host: 'host-b', takenAt: NOW, usage });
      const hosts = await a.hosts();
      assert.deepEqual(
        hosts.map((h) => [h.host, h.version]),
        [
          ['host-a', '9.9'],
          ['host-b', '9.9'],
        ],
      );
      assert.deepEqual(hosts[1], { host: 'host-b', gpus: 2, models: ['NVIDIA H100'], version: '9.9', lastSeen: NOW });
      assert.ok(Date.now() - hosts[0]!.lastSeen < 60_000);
      // A record edited into nonsense reads as a host never seen, not as an error.
      await fixture.redis.hset('canhazgpu:hosts', 'host-c', '[1');
      assert.deepEqual((await a.hosts())[2], { host: 'host-c', gpus: null, models: [], version: null, lastSeen: 0 });
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  test("a command refreshes its host's record only when missing, of another version, or 30 s old", async () => {
    await fixture.redis.flushdb();
    const record = async () => JSON.parse((await fixture.redis.hget('canhazgpu:hosts', 'host-a'))!);
    const connectAt = async (at: number, options: RedisStoreOptions = {}) => {
      const store = await RedisStore.connect(fixture.server.url, {
        host: 'host-a',
        version: '9.9',
        clock: { now: () => at },
        ...options,
      });
      await store.close();
    };
    await connectAt(NOW);
    assert.deepEqual(await record(), { last_seen: NOW, version: '9.9' });
    await connectAt(NOW + 29_999); // a burst of commands: no write
    assert.equal((await record()).last_seen, NOW);
    await connectAt(NOW + 30_000);
    assert.equal((await record()).last_seen, NOW + 30_000);
    await connectAt(NOW + 30_001, { version: '10.0' }); // upgraded: at once
    assert.deepEqual(await record(), { last_seen: NOW + 30_001, version: '10.0' });
    await connectAt(NOW + 30_002, { version: '10.0', reconnect: true }); // the agent, serve: every time
    assert.equal((await record()).last_seen, NOW + 30_002);
    await connectAt(NOW, { version: '10.0' }); // a record from the future (a clock set back) is no fresh one
    assert.equal((await record()).last_seen, NOW);
    // A reading saved meanwhile keeps its fields; a record edited into nonsense is written anew.
    await fixture.redis.hset('canhazgpu:hosts', 'host-a', JSON.stringify({ last_seen: NOW, version: '10.0', gpus: 2 }));
    await connectAt(NOW + 1000, { version: '10.0' });
    assert.deepEqual(await record(), { last_seen: NOW, version: '10.0', gpus: 2 });
    await fixture.redis.hset('canhazgpu:hosts', 'host-a', '{"last_seen": "soon"}');
    await connectAt(NOW + 2000, { version: '10.0' });
    assert.deepEqual(await record(), { last_seen: NOW + 2000, version: '10.0' });
  });

  test('a host name that cannot tag a key is refused in one line', async () => {
    await fixture.redis.flushdb();
    await fixture.redis.set('canhazgpu:pool_host', 'host-a');
    await assert.rejects(connect('bad{name}'), /cannot name a pool.*CANHAZGPU_HOST/);
  });
});
