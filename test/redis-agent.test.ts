// A Redis store kept by this host's agent (`agent_socket`): the commands go through its socket and open no
// Redis connection of their own, every user acts as themself there, and with the agent stopped the
// commands talk to Redis again. Needs root to run commands as `nobody`.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { RedisServer, redisServerAvailable } from '../support/redis-server.js';
import { CLI, eventually, finished, Sandbox } from '../support/sandbox.js';

const isRoot = process.getuid?.() === 0;
const AS_NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--'];
const skip =
  (!isRoot && 'needs root to run commands as another user') || (!redisServerAvailable() && 'no redis-server');

describe('a Redis store kept by the agent', { skip }, () => {
  const box = new Sandbox();
  let server: RedisServer;
  let redis: Redis;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    server = await RedisServer.start();
    redis = new Redis(server.url);
    const run = join(box.dir, 'run');
    mkdirSync(run);
    chmodSync(run, 0o755);
    env = { CANHAZGPU_STORE: server.url, CANHAZGPU_AGENT_SOCKET: join(run, 'agent.sock') };
    box.setGpus({ gpus: [{}, {}, {}, {}] });
  });
  after(async () => {
    redis.disconnect();
    await server.destroy();
    box.cleanup();
  });
  const connections = async () => Number(/total_connections_received:(\d+)/.exec(await redis.info('stats'))![1]);

  test('commands go through the agent and open no Redis connection; nobody acts as nobody; a stopped agent is not missed', async () => {
    assert.equal((await box.run(['admin', '--gpus', '4'], { env })).code, 0);
    const agent = box.spawn(['agent', '--interval', '1'], { env });
    let said = '';
    agent.stdout?.on('data', (d) => (said += d));
    try {
      await eventually(() => said.includes('serving the Redis store'));
      // The agent's one listener for changes (its status board's), made once it keeps the board.
      await eventually(async () => ((await redis.pubsub('CHANNELS', '*wake*')) as string[]).length > 0);
      const before = await connections();
      const mine = await box.run(['reserve', '--gpus', '1'], { env });
      const theirs = await box.run(['reserve', '--gpus', '2'], { env, prefix: AS_NOBODY });
      const seen = await box.run(['status'], { env });
      assert.deepEqual([mine.code, theirs.code], [0, 0], theirs.stderr);
      assert.equal(await connections(), before, 'no command opened a Redis connection');
      assert.match(seen.stdout, /^GPU 0: IN USE by root /m);
      assert.match(seen.stdout, /^GPU 1: IN USE by nobody /m);
      // nobody cannot release root's GPU through the agent; its own release frees its two.
      assert.equal((await box.run(['release'], { env, prefix: AS_NOBODY })).stdout, 'Released 2 GPU(s): [1, 2]\n');
    } finally {
      agent.kill('SIGTERM');
      await finished(agent);
    }
    const direct = await box.run(['status'], { env });
    assert.equal(direct.code, 0, direct.stderr);
    assert.match(direct.stdout, /^GPU 0: IN USE by root /m);
    assert.equal((await box.run(['release'], { env })).code, 0);
  });

  test('for a user without settings of their own, the agent runs status, reserve and release itself: the same lines', async () => {
    assert.equal((await box.run(['admin', '--gpus', '4', '--force'], { env })).code, 0);
    const agent = box.spawn(['agent', '--interval', '1'], { env });
    let said = '';
    agent.stdout?.on('data', (d) => (said += d));
    // What such a user has: no CANHAZGPU_ variable but the store's and the socket's (CANHAZGPU_DEBUG says who ran
    // it), and readings that may be a minute old: a loaded CI's stand-in nvidia-smi keeps none 2 s young.
    const ages = { CANHAZGPU_READING_MAX_AGE_SECONDS: '60', CANHAZGPU_STATUS_READING_MAX_AGE_SECONDS: '60' };
    const plain = { PATH: process.env['PATH'], HOME: box.dir, ...env, ...ages, CANHAZGPU_DEBUG: '1' };
    const asNobody = (args: string[], extra: NodeJS.ProcessEnv = {}) =>
      finished(
        spawn(AS_NOBODY[0]!, [...AS_NOBODY.slice(1), process.execPath, CLI, ...args], {
          env: { ...plain, ...extra },
          stdio: ['ignore', 'pipe', 'pipe'],
        }),
      );
    const ranByAgent = /^canhazgpu: ran by the agent at .*agent\.sock$/m;
    try {
      await eventually(() => said.includes('serving the Redis store'));
      // Once the agent has a reading to give: till then it leaves commands to their callers. (A plain `status`
      // reads the agent's status board, test/status-board.test.ts; `--table` is run by the agent.)
      await eventually(async () => ranByAgent.test((await asNobody(['status', '--table'])).stderr), 60_000);
      const reserved = await asNobody(['reserve', '--gpus', '2', '--duration', '1h']);
      assert.equal(reserved.stdout, 'Reserved 2 GPU(s): [0, 1] for 1h 0m 0s\n');
      assert.match(reserved.stderr, ranByAgent);
      const status = await asNobody(['status', '--table']);
      assert.match(status.stderr, ranByAgent);
      const here = await box.run(['status', '--table'], { env }); // root's own, through the gate as before
      // A second may tick in between, and a duration's width changes a column's.
      const untimed = (text: string) =>
        text
          .replace(/\d+[hms]( \d+[ms])*/g, 'T')
          .replace(/-+/g, '-')
          .replace(/ +/g, ' ');
      assert.equal(untimed(status.stdout), untimed(here.stdout));
      assert.match(status.stdout, /^1 +in use +nobody /m);
      // Settings of the caller's own keep the command in its own process, which then says so too.
      const own = await asNobody(['status', '--table'], {
        CANHAZGPU_MEMORY_THRESHOLD_MB: '10',
        CANHAZGPU_FAKE_GPUS: '/x',
      });
      assert.match(own.stderr, /leaves the command here: CANHAZGPU_FAKE_GPUS is the caller's own/);
      const released = await asNobody(['release']);
      assert.deepEqual([released.code, released.stdout], [0, 'Released 2 GPU(s): [0, 1]\n']);
      assert.match(released.stderr, ranByAgent);
    } finally {
      agent.kill('SIGTERM');
      await finished(agent);
    }
  });

  test('the agent refuses a socket in a directory others may write', async () => {
    const open = join(box.dir, 'open');
    mkdirSync(open);
    chmodSync(open, 0o1777);
    const r = await box.run(['agent'], { env: { ...env, CANHAZGPU_AGENT_SOCKET: join(open, 'agent.sock') } });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^Error: agent_socket .*agent\.sock: .*open is writable by other users\n$/);
  });
});
