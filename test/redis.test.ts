// The CLI on a real redis-server as processes: contention, other uids, restarts, crashes, TLS. The other
// tools' data and lock, and database numbers, are tested in-process (src/cli/redis.test.ts).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { eventually, finished, Sandbox } from '../support/sandbox.js';
import { RedisServer, TEST_TLS } from '../support/redis-server.js';

describe('canhazgpu on Redis', () => {
  let server: RedisServer;
  let redis: Redis;
  let box: Sandbox;
  before(async () => {
    server = await RedisServer.start({ persist: true });
    redis = new Redis(server.url, { maxRetriesPerRequest: 1, retryStrategy: () => 200 });
    redis.on('error', () => {});
    box = new Sandbox();
    box.setGpus({ gpus: Array.from({ length: 8 }, () => ({})) });
  });
  after(async () => {
    redis.disconnect();
    await server.destroy();
    box.cleanup();
  });
  const cli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    box.run(args, { env: { CANHAZGPU_STORE: server.url, ...env } });
  const held = async () => {
    const keys = Array.from({ length: 8 }, (_, i) => `canhazgpu:gpu:${i}`);
    return (await redis.mget(keys)).filter((v) => v && JSON.parse(v).user).length;
  };

  test('64 reserve processes racing for 8 GPUs: each GPU granted once, every loser told "Not enough GPUs"', async () => {
    await cli(['admin', '--gpus', '8', '--force']);
    // 64 processes at once on a small machine: the stand-in nvidia-smi may answer after the default 10 s.
    const patient = { CANHAZGPU_NVIDIA_SMI_TIMEOUT_SECONDS: '120' };
    const results = await Promise.all(Array.from({ length: 64 }, () => cli(['reserve', '--duration', '10m'], patient)));
    const granted = results.filter((r) => r.code === 0).map((r) => Number(r.stdout.match(/\[(\d+)\]/)![1]));
    assert.deepEqual(
      granted.sort((a, b) => a - b),
      [0, 1, 2, 3, 4, 5, 6, 7],
    );
    const losers = results.filter((r) => r.code !== 0);
    assert.equal(losers.length, 56);
    for (const r of losers) assert.equal(r.stderr, 'Error: Not enough GPUs available. Requested: 1, Available: 0\n');
  });

  test('admin --force is for root or whoever set the pool up; a pool of the other tools says nobody', {
    skip: process.getuid?.() !== 0 && 'needs root to run as nobody',
  }, async () => {
    const asNobody = (args: string[]) =>
      box.run(args, {
        env: { CANHAZGPU_STORE: server.url },
        prefix: ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--'],
      });
    await cli(['admin', '--gpus', '8', '--force']);
    await cli(['reserve', '--gpus', '2']);
    const r = await asNobody(['admin', '--gpus', '8', '--force']);
    assert.deepEqual(
      [r.code, r.stdout, r.stderr],
      [
        1,
        '',
        `Error: Only root may reinitialize the pool at ${server.url}: --force clears every user's reservations\n`,
      ],
    );
    assert.equal(await held(), 2);
    await redis.del('canhazgpu:pool_owner'); // as the Python and Go tools leave it
    assert.equal((await asNobody(['admin', '--gpus', '8', '--force'])).code, 0);
    assert.equal(await held(), 0);
    assert.equal(JSON.parse((await redis.get('canhazgpu:pool_owner'))!).uid, 65534);
    await cli(['admin', '--gpus', '8', '--force']); // root may always
  });

  test('a run rides out a Redis restart: keeps running, resumes heartbeats, keeps its GPUs, releases at the end', async () => {
    await cli(['admin', '--gpus', '8', '--force']);
    // Long enough to outlive the restart on a loaded machine: the heartbeat must resume while it runs.
    const child = box.spawn(['run', '--gpus', '2', '--', 'sleep', '10'], {
      env: { CANHAZGPU_STORE: server.url, CANHAZGPU_HEARTBEAT_SECONDS: '0.2' },
    });
    const done = finished(child);
    await eventually(async () => (await held()) === 2);
    await server.stop();
    const down = await cli(['status']);
    assert.deepEqual([down.code, down.stdout], [1, '']);
    assert.match(
      down.stderr,
      new RegExp(
        `^Error: Cannot reach the GPU store at ${server.url} \\(.*\\)\\. Check that redis-server is running there, or choose another store with --store\\.\\n$`,
      ),
    );
    await new Promise((r) => setTimeout(r, 800));
    const restartedAt = Math.floor(Date.now() / 1000);
    await server.start();
    await eventually(async () => {
      const entry = JSON.parse((await redis.get('canhazgpu:gpu:0')) ?? '{}');
      return entry.user && entry.last_heartbeat >= restartedAt;
    });
    assert.equal(await held(), 2);
    const r = await done;
    assert.equal(r.code, 0);
    assert.match(r.stderr, /Warning: heartbeat failed \(.*\); the command keeps running, retrying\n/);
    assert.match(r.stderr, /canhazgpu: heartbeat restored\n/);
    assert.equal(await held(), 0);
  });

  test('run killed with SIGKILL frees its GPUs at once; runs killed mid-start leak nothing', async () => {
    await cli(['admin', '--gpus', '8', '--force']);
    const env = { CANHAZGPU_STORE: server.url };
    const child = box.spawn(['run', '--gpus', '8', '--', 'sleep', '30'], { env, detached: true });
    const exited = new Promise((r) => child.once('exit', r));
    await eventually(async () => (await held()) === 8);
    process.kill(child.pid!, 'SIGKILL');
    await exited;
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // killed before it started its command: nothing else in its group
    }
    assert.equal(
      (await cli(['reserve', '--gpus', '8', '--duration', '1m'])).stdout,
      'Reserved 8 GPU(s): [0, 1, 2, 3, 4, 5, 6, 7] for 0h 1m 0s\n',
    );
    await cli(['release']);
    // Kill runs at every moment of their start: whatever they held is free to the next command.
    for (let i = 0; i < 12; i++) {
      const victim = box.spawn(['run', '--gpus', '4', '--', 'sleep', '30'], { env, detached: true });
      const gone = new Promise((r) => victim.once('exit', r));
      await new Promise((r) => setTimeout(r, 20 + i * 15));
      try {
        process.kill(-victim.pid!, 'SIGKILL');
      } catch {
        // already exited
      }
      await gone;
    }
    assert.equal((await cli(['reserve', '--gpus', '8', '--duration', '1m'])).code, 0);
    await cli(['release']);
  });
});

test('rediss:// talks TLS to a redis-server that serves only TLS, and an untrusted certificate is one clear line', async () => {
  const server = await RedisServer.start({ tls: true });
  const box = new Sandbox();
  try {
    box.setGpus({ gpus: [{}, {}] });
    // The CLI trusts the test CA the way a site would trust its own: NODE_EXTRA_CA_CERTS.
    const env = { CANHAZGPU_STORE: server.url, NODE_EXTRA_CA_CERTS: TEST_TLS.ca };
    assert.equal((await box.run(['admin', '--gpus', '2'], { env })).stdout, 'Initialized 2 GPUs (IDs 0 to 1)\n');
    assert.equal((await box.run(['reserve', '--gpus', '1'], { env })).stdout, 'Reserved 1 GPU(s): [0] for 8h 0m 0s\n');
    assert.equal((await box.run(['run', '--', 'sh', '-c', 'echo $CUDA_VISIBLE_DEVICES'], { env })).stdout, '1\n');
    assert.match(
      (await box.run(['status'], { env })).stdout,
      /^GPU 0: IN USE by \S+ for 0h 0m \d+s \(manual, expires in (8h 0m 0s|7h 59m \d+s)\)/,
    );
    assert.equal((await box.run(['release'], { env })).stdout, 'Released 1 GPU(s): [0]\n');
    const untrusted = await box.run(['status'], { env: { CANHAZGPU_STORE: server.url } });
    assert.equal(untrusted.code, 1);
    assert.match(
      untrusted.stderr,
      /^Error: Cannot reach the GPU store at rediss:\/\/localhost:\d+\/0 \(self[- ]signed certificate in certificate chain\)\. Trust the certificate's CA \(NODE_EXTRA_CA_CERTS=\/path\/to\/ca\.pem\) or fix the server's certificate, or choose another store with --store\.\n$/,
    );
  } finally {
    box.cleanup();
    await server.destroy();
  }
});
