// Three hosts on a real Redis Cluster (three masters) as processes, each with its agent and its own fake
// GPUs: `reserve --host any` raced from every host at once, then `status --all` from one of them.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Cluster } from 'ioredis';
import { RedisCluster } from '../support/redis-cluster.js';
import { eventually } from '../support/sandbox.js';
import { scanKeys } from '../src/store/redis/client.js';
import { fleetHosts, raceReserveAny } from './support/fleet-hosts.js';

const SIZES = { 'host-a': 2, 'host-b': 2, 'host-c': 4 } as const;
type Host = keyof typeof SIZES;
const HOSTS = Object.keys(SIZES) as Host[];

describe('a fleet of three hosts on a Redis Cluster', () => {
  let cluster: RedisCluster;
  let redis: Cluster;
  before(async () => {
    cluster = await RedisCluster.start();
    redis = await cluster.client();
  });
  after(async () => {
    redis.disconnect();
    await cluster.destroy();
  });
  const fleet = fleetHosts(SIZES, () => cluster.url);

  test('reserve --host any raced from every host: each GPU granted once; status --all shows every host', async () => {
    await fleet.setUp();
    await eventually(async () => (await scanKeys(redis, 'canhazgpu:{host-?}:reading')).length === 3, 60_000);

    // 8 GPUs, 2 at a time: 4 grants.
    await raceReserveAny(SIZES, 4, fleet.cli);

    const all = await fleet.cli('host-b', ['status', '--all', '--json']);
    assert.equal(all.code, 0, all.stderr);
    const hosts = JSON.parse(all.stdout) as Array<{ host: string; stale: boolean; gpus: Array<{ status: string }> }>;
    assert.deepEqual(
      hosts.map((h) => [h.host, h.stale, h.gpus.length, h.gpus.every((g) => g.status === 'reserved')]),
      HOSTS.map((h) => [h, false, SIZES[h], true]),
    );
    // No plain pool on a cluster: every host's GPUs are its tagged keys.
    assert.deepEqual(await scanKeys(redis, 'canhazgpu:gpu*'), []);
    assert.equal(await redis.get('canhazgpu:{host-a}:gpu_count'), '2');
  });
});
