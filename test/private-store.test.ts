// The private store (`admin --private`): only root writes the database, and every other user's commands
// go through `canhazgpu agent`, which knows them by their uid. Needs root to run commands as `nobody`.
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { spawn, spawnSync } from 'node:child_process';
import { eventually, finished, Sandbox } from '../support/sandbox.js';

const isRoot = process.getuid?.() === 0;
const AS_NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--'];

/**
 * A hostile client of the agent's socket, speaking its protocol in raw lines: `jump` asks for a GPU
 * saying nothing of the queue; `squat` queues for every GPU and beats every 2 s, never taking them.
 * It prints each answer line.
 */
const RAW_CLIENT = `
const [path, mode] = process.argv.slice(1);
const s = require('net').connect(path);
s.setEncoding('utf8');
let id = 0, buf = '';
const send = (method, ...args) => s.write(JSON.stringify({ id: ++id, method, args }) + '\\n');
s.on('data', (d) => {
  buf += d;
  for (let i; (i = buf.indexOf('\\n')) >= 0; buf = buf.slice(i + 1)) console.log(buf.slice(0, i));
  if (mode === 'jump') s.end();
});
if (mode === 'jump') {
  send('allocate', { count: 1, user: 'nobody', type: 'run', now: 0, expiryTime: null, inUse: [], token: 'jump', owner: null });
} else {
  send('queue.enqueue', { id: 'squat', user: 'nobody', actualUser: 'nobody', count: 4, requestedIds: null, type: 'manual',
    durationMs: 3600000, note: null, enqueuedAt: 0, lastHeartbeat: 0, waitUntil: null, ours: true });
  setInterval(() => send('queue.beat', 'squat', 0), 2000);
}`;

describe('a private store kept by the agent', { skip: !isRoot && 'needs root to run commands as another user' }, () => {
  const box = new Sandbox();
  after(() => box.cleanup());
  const socket = `${box.storePath}.sock`;
  const asNobody = (args: string[]) => box.run(args, { prefix: AS_NOBODY });
  const rawNobody = (mode: 'jump' | 'squat') =>
    spawn(AS_NOBODY[0]!, [...AS_NOBODY.slice(1), process.execPath, '-e', RAW_CLIENT, socket, mode]);
  const queued = async () =>
    (JSON.parse((await box.run(['queue', '--json'])).stdout) as { waiting: Array<{ user: string }> }).waiting;

  test('admin --private makes a database only root may write, with no journal for others to write', async () => {
    box.setGpus({ gpus: [{}, {}, {}, {}] });
    const r = await box.run(['admin', '--gpus', '4', '--private']);
    assert.deepEqual([r.code, r.stdout], [0, 'Initialized 4 GPUs (IDs 0 to 3)\n']);
    assert.equal(statSync(box.storePath).mode & 0o777, 0o600);
    assert.equal(existsSync(`${box.storePath}-journal`), false);
    const write = spawnSync(AS_NOBODY[0]!, [...AS_NOBODY.slice(1), 'sh', '-c', `: >> '${box.storePath}'`]);
    assert.notEqual(write.status, 0, 'nobody cannot write a byte of it');
  });

  test('without the agent, other users get one line saying who keeps the store', async () => {
    const r = await asNobody(['reserve']);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^Error: The GPU store .* is writable by its owner alone, so the canhazgpu agent keeps it, and no agent answers at .*\.sock \(ENOENT\): ask root to start it/,
    );
  });

  test('with the agent, every user reserves, runs and releases as themself, and only their own', async () => {
    const agent = box.spawn(['agent', '--interval', '0.2']);
    const stopped = finished(agent);
    try {
      await eventually(() => existsSync(socket));
      assert.equal(statSync(socket).mode & 0o777, 0o666);
      const mine = await asNobody(['reserve', '--gpus', '2']);
      assert.deepEqual([mine.code, mine.stdout, mine.stderr], [0, 'Reserved 2 GPU(s): [0, 1] for 8h 0m 0s\n', '']);
      assert.equal((await box.run(['reserve'])).stdout, 'Reserved 1 GPU(s): [2] for 8h 0m 0s\n'); // root, directly
      const seen = (await asNobody(['status'])).stdout;
      assert.match(seen, /^GPU 0: IN USE by nobody for .*\nGPU 1: IN USE by nobody for .*\nGPU 2: IN USE by root for/);
      const ran = await asNobody(['run', '--gpus', '1', '--', 'sh', '-c', 'echo "on $CUDA_VISIBLE_DEVICES"']);
      assert.deepEqual([ran.code, ran.stdout], [0, 'on 3\n']);
      const force = await asNobody(['admin', '--gpus', '8', '--force']);
      assert.equal(force.code, 1);
      assert.match(force.stderr, /^Error: Only root may reinitialize the pool/);
      assert.equal((await asNobody(['release'])).stdout, 'Released 2 GPU(s): [0, 1]\n');
      const after = JSON.parse((await box.run(['status', '--json'])).stdout) as Array<{ user?: string }>;
      assert.deepEqual(
        after.map((g) => g.user ?? null),
        [null, null, 'root', null],
      );
      assert.equal((await box.run(['release'])).stdout, 'Released 1 GPU(s): [2]\n');
    } finally {
      agent.kill('SIGTERM');
      await stopped;
    }
  });

  test('with the agent, nobody waits with --wait while root holds the GPUs, holds back plain requests, and gets them on release', async () => {
    const agent = box.spawn(['agent', '--interval', '0.2']);
    const stopped = finished(agent);
    try {
      await eventually(async () => (await asNobody(['status'])).code === 0);
      assert.equal((await box.run(['reserve', '--gpus', '4'])).code, 0); // root, directly
      const waiter = box.spawn(['reserve', '--gpus', '2', '--wait', '2m'], { prefix: AS_NOBODY });
      const waited = finished(waiter);
      const listed = await eventually(async () => {
        const q = JSON.parse((await box.run(['queue', '--json'])).stdout) as { waiting: Array<{ user: string }> };
        return q.waiting.length > 0 ? q.waiting : null;
      });
      assert.deepEqual(
        listed?.map((w) => w.user),
        ['nobody'],
      );
      const seen = (await asNobody(['queue'])).stdout;
      assert.match(seen, /nobody/, 'every user lists the queue');
      // One GPU comes back: the waiter at the head keeps it from a plain request (which would end after it starts).
      assert.equal((await box.run(['release', '-G', '0'])).stdout, 'Released 1 GPU(s): [0]\n');
      const plain = await asNobody(['reserve', '--gpus', '1']);
      assert.equal(plain.code, 1);
      assert.match(
        plain.stderr,
        /^Error: Not enough GPUs available\. Requested: 1, Available: 0 \(1 free GPUs kept for 1 earlier waiting request/,
      );
      assert.equal((await box.run(['release'])).stdout, 'Released 3 GPU(s): [1, 2, 3]\n');
      const got = await waited;
      assert.equal(got.code, 0, got.stderr);
      assert.match(got.stdout, /^Reserved 2 GPU\(s\): \[\d, \d\] for 8h 0m 0s\n$/);
      const held = JSON.parse((await box.run(['status', '--json'])).stdout) as Array<{ user?: string }>;
      assert.equal(held.filter((g) => g.user === 'nobody').length, 2);
      assert.equal((await box.run(['queue', '--json'])).stdout.includes('nobody'), false, 'and left the queue');
      assert.match((await asNobody(['release'])).stdout, /^Released 2 GPU\(s\)/);

      // A waiter killed outright (no chance to leave) ages out, and then blocks nobody.
      assert.equal((await box.run(['reserve', '--gpus', '1'])).code, 0);
      const doomed = box.spawn(['reserve', '--gpus', '4', '--wait'], { prefix: AS_NOBODY });
      const killed = finished(doomed);
      await eventually(async () => (await box.run(['queue', '--json'])).stdout.includes('nobody'));
      doomed.kill('SIGKILL');
      await killed;
      await eventually(async () => !(await box.run(['queue', '--json'])).stdout.includes('nobody'), 15_000);
      const after = await asNobody(['reserve', '--gpus', '3']);
      assert.equal(after.code, 0, after.stderr);
      assert.match((await asNobody(['release'])).stdout, /^Released 3 GPU\(s\)/);
      assert.equal((await box.run(['release'])).code, 0);
    } finally {
      agent.kill('SIGTERM');
      await stopped;
    }
  });

  test('speaking the socket directly, nobody neither jumps the queue nor squats at its head', async () => {
    const agent = box.spawn(['agent', '--interval', '0.2']);
    const stopped = finished(agent);
    try {
      await eventually(async () => (await asNobody(['status'])).code === 0);
      assert.equal((await box.run(['reserve', '--gpus', '4'])).code, 0);
      const rootWaits = finished(box.spawn(['reserve', '--gpus', '2', '--wait', '2m']));
      await eventually(async () => (await queued()).length > 0);
      assert.equal((await box.run(['release', '-G', '0'])).code, 0); // kept for root's waiter
      const jumped = await finished(rawNobody('jump'));
      assert.match(
        jumped.stdout,
        /"name":"HeldForQueueError","message":"Not enough GPUs available\. Requested: 1, Available: 0 \(1 free GPUs kept for 1 earlier waiting request/,
      );
      assert.equal((await box.run(['release'])).code, 0);
      assert.equal((await rootWaits).code, 0);
      assert.equal((await box.run(['release'])).code, 0);

      // At the head of the queue with every GPU free, taking none: root's plain request waits only the grace.
      const squatter = rawNobody('squat');
      const squatted = finished(squatter);
      await eventually(async () => (await queued()).length > 0);
      const held = await box.run(['reserve', '--gpus', '1']);
      assert.match(held.stderr, /4 free GPUs kept for 1 earlier waiting request/);
      const started = Date.now();
      await eventually(async () => (await box.run(['reserve', '--gpus', '1'])).code === 0, 30_000);
      assert.ok(Date.now() - started < 20_000, `held back ${Date.now() - started} ms`);
      squatter.kill('SIGTERM');
      assert.match((await squatted).stdout, /"result":false/, 'its beat is told it has no place');
      assert.equal((await box.run(['release'])).code, 0);
    } finally {
      agent.kill('SIGTERM');
      await stopped;
    }
  });
});
