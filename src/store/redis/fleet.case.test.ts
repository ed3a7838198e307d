// A fleet's hosts on one Redis store, each with its own pool: run on one server (fleet.test.ts), where the
// first host to set up takes the plain keys, and on a Redis Cluster (cluster.test.ts), where every pool is tagged.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PoolNotInitializedError } from '../../domain/errors.js';
import { defaultLiveness } from '../../domain/liveness.js';
import type { RedisClient } from './client.js';
import type { RedisStore } from './redis-store.js';

export interface FleetSetup {
  /** A client of the same Redis, to look at keys behind the stores' back. */
  readonly redis: RedisClient;
  /** Empties the store. */
  flush(): Promise<void>;
  connect(host: string): Promise<RedisStore>;
  /** The key `name` of the pool that `host` set up (host-a set up first). */
  key(host: string, name: string): string;
}

export const NOW = 1_800_000_000_000;
export const grant = (count: number, token: string) => ({
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

export function fleetCases(name: string, setup: FleetSetup): void {
  const { key } = setup;
  const redis = () => setup.redis;
  describe(`a fleet on ${name}`, () => {
    test('every host has its own pool, history and forced admin; each sees the others through poolOf', async () => {
      await setup.flush();
      const [a, b] = [await setup.connect('host-a'), await setup.connect('host-b')];
      try {
        await a.initialize(2, false, NOW);
        await b.initialize(3, false, NOW); // connected before a set up its pool
        assert.equal(await redis().get(key('host-a', 'gpu_count')), '2');
        assert.equal(await redis().get(key('host-b', 'gpu_count')), '3');
        assert.deepEqual(await a.allocate(grant(2, 'ta')), [0, 1]);
        assert.deepEqual(await b.allocate(grant(3, 'tb')), [0, 1, 2]);
        assert.equal(JSON.parse((await redis().get(key('host-a', 'gpu:1')))!).reservation_id, 'ta');
        assert.equal(JSON.parse((await redis().get(key('host-b', 'gpu:2')))!).reservation_id, 'tb');
        assert.equal((await a.poolOf('host-b').snapshot()).gpuCount, 3);
        assert.equal((await b.poolOf('host-a').snapshot()).gpuCount, 2);
        assert.equal(a.poolOf('host-a'), a);
        // Each pool keeps its own history, in its own slot.
        await a.releaseToken('ta', NOW + 1000);
        await b.releaseToken('tb', NOW + 1000);
        assert.equal(await redis().zcard(key('host-a', 'usage_history_sorted')), 2);
        assert.equal(await redis().zcard(key('host-b', 'usage_history_sorted')), 3);
        assert.deepEqual(
          (await b.history(0, Infinity)).map((r) => r.gpuId),
          [0, 1, 2],
        );
        await a.allocate(grant(2, 'ta2'));
        await b.allocate(grant(3, 'tb2'));
        // A forced admin on b leaves a's GPUs alone.
        await b.initialize(1, true, NOW);
        assert.equal(await redis().get(key('host-a', 'gpu_count')), '2');
        assert.ok(await redis().get(key('host-a', 'gpu:0')));
        assert.equal(await redis().get(key('host-b', 'gpu:2')), null);
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    });

    test("a host connected before the fleet's first admin follows its own pool once another host claims one", async () => {
      await setup.flush();
      // An agent or serve of host-a, started before any pool was set up, still running afterwards.
      const early = await setup.connect('host-a');
      const b = await setup.connect('host-b');
      try {
        await b.initialize(2, false, NOW); // host-b is first: on one server, the plain keys become its pool
        await assert.rejects(early.snapshot(), PoolNotInitializedError, "host-b's pool is not host-a's");
        const a = await setup.connect('host-a');
        await a.initialize(4, false, NOW);
        await a.close();
        assert.equal((await early.snapshot()).gpuCount, 4);
        assert.deepEqual(await early.allocate(grant(1, 'te')), [0]);
        // host-b holds the plain keys (or, on a cluster, nobody does): host-a's pool is its tagged keys either way.
        assert.equal(JSON.parse((await redis().get('canhazgpu:{host-a}:gpu:0'))!).reservation_id, 'te');
        assert.equal((await b.snapshot()).slots[0]!.reservation, null);
      } finally {
        await Promise.all([early.close(), b.close()]);
      }
    });

    test('a host name that cannot tag a key is refused in one line', async () => {
      await setup.flush();
      await redis().set('canhazgpu:pool_host', 'host-a'); // on one server: not the plain keys' host
      await assert.rejects(setup.connect('bad{name}'), /cannot name a pool.*CANHAZGPU_HOST/);
    });
  });
}
