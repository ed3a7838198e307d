// High availability is Redis's own: through Sentinel (`redis+sentinel://`), a primary killed outright
// fails over to its replica while a `run` is in progress; the run keeps its GPUs and its heartbeat
// resumes on the new primary. Real redis-server processes: a primary, a replica, a Sentinel.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { RedisSentinel, RedisServer } from '../support/redis-server.js';
import { eventually, finished, Sandbox } from '../support/sandbox.js';

let primary: RedisServer;
let replica: RedisServer;
let sentinel: RedisSentinel;
let onReplica: Redis;
const box = new Sandbox();
before(async () => {
  primary = await RedisServer.start();
  replica = await RedisServer.start({ args: ['--replicaof', '127.0.0.1', String(primary.port)] });
  sentinel = await RedisSentinel.start(primary.port);
  onReplica = new Redis(replica.url, { maxRetriesPerRequest: 1 });
  box.setGpus({ gpus: [{}, {}] });
});
after(async () => {
  onReplica.disconnect();
  await sentinel.destroy();
  await Promise.all([primary.destroy(), replica.destroy()]);
  box.cleanup();
});

test('a run keeps its GPUs through a failover, and its heartbeat resumes on the new primary', async () => {
  const url = `redis+sentinel://127.0.0.1:${sentinel.port}/mymaster`;
  const env = { CANHAZGPU_STORE: url, CANHAZGPU_HEARTBEAT_SECONDS: '0.5' };
  const admin = await box.run(['admin', '--gpus', '2'], { env });
  assert.equal(admin.code, 0, admin.stderr);
  const child = box.spawn(['run', '--gpus', '1', '--', 'sleep', '25'], { env });
  const done = finished(child);
  const held = async () => JSON.parse((await onReplica.get('canhazgpu:gpu:0')) ?? '{}');
  await eventually(async () => (await held()).user, 30_000); // replicated
  // The Sentinel must know the replica before the primary goes.
  const probe = new Redis(sentinel.port, '127.0.0.1');
  await eventually(
    async () => ((await probe.call('SENTINEL', 'replicas', 'mymaster')) as unknown[]).length === 1,
    30_000,
  );

  await primary.stop('SIGKILL');
  const diedAt = Math.floor(Date.now() / 1000);
  await eventually(async () => {
    const [, port] = (await probe.call('SENTINEL', 'get-master-addr-by-name', 'mymaster')) as [string, string];
    return Number(port) === replica.port;
  }, 60_000);
  probe.disconnect();
  // The replica is the primary now: the run's heartbeat lands there, its GPU still its own.
  await eventually(async () => (await held()).last_heartbeat > diedAt, 60_000);
  const status = await box.run(['status'], { env });
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /^GPU 0: IN USE by \S+ for .* \(run, last heartbeat 0h 0m [0-9]s ago\)/);
  assert.match(status.stdout, /\nGPU 1: AVAILABLE\n$/);
  child.kill('SIGTERM');
  await done;
  assert.equal((await held()).user, undefined); // released on the new primary
});
