// The Redis store on a real Redis Cluster (three masters): every host's pool is its tagged keys, so each
// script and transaction touches one slot; the cluster itself refuses any that does not (CROSSSLOT).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { clusterFixture, flushCluster } from '../../../support/redis-cluster.js';
import { freePort, RedisServer } from '../../../support/redis-server.js';
import { runStoreContract } from '../contract.case.test.js';
import { scanKeys } from './client.js';
import { fleetCases, grant, NOW } from './fleet.case.test.js';
import { RedisStore } from './redis-store.js';

const fixture = clusterFixture();
const connect = (host: string) => RedisStore.connect(fixture.cluster.url, { host, version: '9.9' });

runStoreContract('redis cluster', {
  open: async (options) => {
    await flushCluster(fixture.client);
    return RedisStore.connect(fixture.cluster.url, { host: 'node-a', ...options });
  },
});

fleetCases('a Redis Cluster', {
  get redis() {
    return fixture.client;
  },
  flush: () => flushCluster(fixture.client),
  connect,
  // No plain pool on a cluster: the first host to set up gets tagged keys like every other.
  key: (host, name) => `canhazgpu:{${host}}:${name}`,
});

describe('redis cluster', () => {
  test('every key a host writes carries its tag; the registry is the one key of all', async () => {
    await flushCluster(fixture.client);
    const [a, b] = [await connect('host-a'), await connect('host-b')];
    try {
      await a.initialize(2, false, NOW);
      await b.initialize(2, false, NOW);
      await a.allocate(grant(1, 'ta'));
      await a.releaseToken('ta', NOW + 1000);
      await b.saveReading({ host: 'host-b', takenAt: NOW, usage: [] });
      await b.claimProbe('host-b', NOW, 10_000);
      await a.addUnreserved([{ hourStart: NOW, user: 'bob', seconds: 60 }], NOW);
      assert.deepEqual(
        (await a.hosts()).map((h) => h.host),
        ['host-a', 'host-b'],
      );
      const keys = await scanKeys(fixture.client, '*');
      assert.ok(
        keys.includes('canhazgpu:{host-b}:reading') && keys.includes('canhazgpu:{host-a}:usage_history_sorted'),
      );
      assert.deepEqual(
        keys.filter((k) => !/^canhazgpu:\{host-[ab]\}:/.test(k)),
        ['canhazgpu:hosts'],
      );
      // The status of another host: its reading, read through the one store.
      assert.deepEqual(await a.poolOf('host-b').latestReading('host-b'), { host: 'host-b', takenAt: NOW, usage: [] });
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  test('a cluster store needs a host name that can tag its keys', async () => {
    await assert.rejects(RedisStore.connect(fixture.cluster.url), /cannot name a pool.*CANHAZGPU_HOST/);
  });

  test('a cluster none of whose seed nodes answers is one clear line, its password hidden', async () => {
    const url = `redis+cluster://:secret@127.0.0.1:${await freePort()}`;
    await assert.rejects(RedisStore.connect(url, { host: 'node-a' }), {
      message: new RegExp(
        String.raw`^Cannot reach the GPU store at redis\+cluster://:\*\*\*@127\.0\.0\.1:\d+ \(None of startup nodes is available\)\. ` +
          String.raw`Check that the nodes of a Redis Cluster \(cluster-enabled yes\) run there, or choose another store with --store\.$`,
      ),
    });
  });

  test("a cluster's password is the URL's", async () => {
    const masters = fixture.client.nodes('master'); // connected before: they stay signed in
    await Promise.all(masters.map((node) => node.config('SET', 'requirepass', 's3cret')));
    try {
      const url = fixture.cluster.url.replace('//', '//:s3cret@');
      const store = await RedisStore.connect(url, { host: 'node-a' });
      await store.initialize(1, true, NOW);
      assert.equal((await store.snapshot()).gpuCount, 1);
      await store.close();
      await assert.rejects(RedisStore.connect(fixture.cluster.url, { host: 'node-a' }), {
        message:
          /^Cannot reach the GPU store at redis\+cluster:\/\/127\.0\.0\.1:\d+ \(NOAUTH Authentication required\.\)/,
      });
    } finally {
      await Promise.all(masters.map((node) => node.config('SET', 'requirepass', '')));
    }
  });

  test('a cluster URL naming a server that is no cluster says so', async () => {
    const server = await RedisServer.start();
    try {
      await assert.rejects(RedisStore.connect(`redis+cluster://127.0.0.1:${server.port}`, { host: 'node-a' }), {
        message: /\(ERR This instance has cluster support disabled\)\. Check that the nodes of a Redis Cluster/,
      });
    } finally {
      await server.destroy();
    }
  });

  test('a cluster node reached as one server says how to reach the cluster', async () => {
    await flushCluster(fixture.client);
    const messages = new Set<string>();
    for (const port of fixture.cluster.ports) {
      // The plain keys hash to slots all over the cluster: some node redirects the store.
      const store = await RedisStore.connect(`redis://127.0.0.1:${port}/0`);
      await store.snapshot().catch((err: Error) => messages.add(err.message.replace(/\d+/g, 'N')));
      await store.close();
    }
    assert.ok(
      messages.has(
        'The GPU store at redis://N.N.N.N:N/N is a node of a Redis Cluster: reach it as redis+cluster://host:port.',
      ),
      [...messages].join('\n'),
    );
  });
});
