// Several hosts on one Redis: each keeps its own pool; the plain keys stay one host's, in the other tools' format.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { redisFixture } from '../../../support/redis-fixture.js';
import { PoolAlreadyInitializedError } from '../../domain/errors.js';
import { runStoreContract } from '../contract.case.test.js';
import { fleetCases, NOW } from './fleet.case.test.js';
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

fleetCases('one Redis server', {
  get redis() {
    return fixture.redis;
  },
  flush: async () => {
    await fixture.redis.flushdb();
  },
  connect,
  // The first host to set up claims the plain keys; the others get tagged pools of their own.
  key: (host, name) => (host === 'host-a' ? `canhazgpu:${name}` : `canhazgpu:{${host}}:${name}`),
});

describe('a fleet on one Redis', () => {
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
});
