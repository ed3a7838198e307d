// --wait and `queue`, in-process: the place on stderr, the queue's table and JSON, giving up, Ctrl-C,
// and a plain reserve refused while a waiter needs the free GPUs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { at, NOW, S, world } from '../../../test/support/world.js';
import { HeldForQueueError, UsageError } from '../../domain/errors.js';
import { systemClock } from '../../domain/ports.js';
import { WaitTimedOutError } from '../../pool/queue-waiter.js';
import { WaitInterruptedError } from '../wait.js';
import { adminCommand } from './admin.js';
import { queueCommand } from './queue.js';
import { releaseCommand } from './release.js';
import { reserveCommand } from './reserve.js';

const w = world('queue');

async function pool(gpus: number) {
  const m = w.machine(gpus);
  await adminCommand({ gpus: String(gpus), force: false }, at(m, NOW - 3600 * S));
  return m;
}
type Machine = Awaited<ReturnType<typeof pool>>;

async function queueOut(m: Machine, json = false, now = NOW): Promise<string> {
  const ctx = at(m, now);
  assert.equal(await queueCommand({ json }, ctx), 0, ctx.err());
  return ctx.out();
}

async function untilQueued(m: Machine, n: number) {
  for (let i = 0; i < 400; i++) {
    const out = JSON.parse(await queueOut(m, true)) as { waiting: unknown[] };
    if (out.waiting.length === n) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`never ${n} waiting`);
}

test('reserve --wait queues, shows its place, is listed by queue (text and JSON), and is granted on release', async () => {
  const m = await pool(2);
  assert.equal(await reserveCommand({ gpus: '2', duration: '1h' }, at(m, NOW, { user: 'bob' })), 0);
  assert.equal(await queueOut(m), 'No requests waiting for GPUs\n');
  const waiter = at(m, NOW);
  const granted = reserveCommand({ gpus: '2', duration: '30m', wait: true }, waiter);
  await untilQueued(m, 1);
  assert.equal(waiter.err(), 'Waiting for 2 GPUs: position 1 in queue (canhazgpu queue shows who is ahead)\n');
  const later = NOW + 5 * S;
  assert.equal(
    await queueOut(m, false, later),
    [
      'POS  USER   WANTS   TYPE    WAITING  ESTIMATED START  NOTE',
      '1    alice  2 GPUs  manual  5s       in 59m 55s',
      '',
    ].join('\n'),
  );
  assert.deepEqual(JSON.parse(await queueOut(m, true, later)), {
    waiting: [
      {
        position: 1,
        user: 'alice',
        actual_user: 'alice',
        gpus: 2,
        gpu_ids: null,
        type: 'manual',
        note: null,
        waiting_since: new Date(NOW).toISOString(),
        waited_seconds: 5,
        wait_until: null,
        estimated_start: new Date(NOW + 3600 * S).toISOString(),
        backfilled_ahead: [],
      },
    ],
  });
  assert.equal(await releaseCommand(at(m, NOW, { user: 'bob' })), 0);
  assert.equal(await granted, 0);
  assert.equal(waiter.out(), 'Reserved 2 GPU(s): [0, 1] for 0h 30m 0s\n');
  assert.equal(await queueOut(m), 'No requests waiting for GPUs\n');
});

test('a plain reserve is refused while a waiter needs the free GPUs', async () => {
  const m = await pool(2);
  assert.equal(await reserveCommand({ gpus: '1', duration: '1h' }, at(m, NOW, { user: 'bob' })), 0);
  const controller = at(m, NOW);
  let stop: (s: NodeJS.Signals) => void = () => {};
  controller.interrupts = () => ({ signal: new Promise((r) => (stop = r)), dispose: () => {} });
  const waiting = reserveCommand({ gpus: '2', duration: '8h', wait: true }, controller);
  await untilQueued(m, 1);
  await assert.rejects(
    reserveCommand({ gpus: '1', duration: '8h' }, at(m, NOW, { user: 'carol' })),
    (err: Error) =>
      err instanceof HeldForQueueError &&
      err.message ===
        "Not enough GPUs available. Requested: 1, Available: 0 (1 free GPUs kept for 1 earlier waiting request(s) - run 'canhazgpu queue' for details)",
  );
  stop('SIGINT');
  await assert.rejects(waiting, WaitInterruptedError);
  assert.deepEqual(controller.died, ['SIGINT'], 'dies of the signal once out of the queue');
  assert.equal(await queueOut(m), 'No requests waiting for GPUs\n');
});

test('--wait DURATION gives up with one line, nothing held, out of the queue', async () => {
  const m = await pool(1);
  assert.equal(await reserveCommand({ gpus: '1', duration: '1h' }, at(m, NOW, { user: 'bob' })), 0);
  const ctx = { ...at(m, NOW), clock: systemClock };
  await assert.rejects(
    reserveCommand({ gpus: '1', duration: '1h', wait: '1s' }, ctx),
    (err: Error) => err instanceof WaitTimedOutError && /^Gave up waiting for 1 GPU after 0h 0m 1s/.test(err.message),
  );
  assert.equal(await queueOut(m), 'No requests waiting for GPUs\n');
});

test('a bad --wait, or more GPUs than the pool, fails at once and never queues', async () => {
  const m = await pool(2);
  await assert.rejects(
    reserveCommand({ gpus: '1', duration: '1h', wait: 'soon' }, at(m)),
    (err: Error) => err instanceof UsageError && err.message.startsWith("Invalid value for '--wait': 'soon'."),
  );
  await assert.rejects(reserveCommand({ gpus: '3', duration: '1h', wait: true }, at(m)), /Cannot wait for 3 GPUs/);
  assert.equal(await queueOut(m), 'No requests waiting for GPUs\n');
});

test("queue's table escapes what another tool wrote (no terminal escape sequences)", async () => {
  const m = await pool(1);
  const { openStore } = await import('../../store/open.js');
  const store = await openStore(m.storePath);
  try {
    await store.queue!.enqueue({
      id: 'w',
      user: 'eve\x1b[2J',
      actualUser: 'eve\x1b[2J',
      count: 1,
      requestedIds: null,
      type: 'run',
      durationMs: null,
      note: 'hi\nthere',
      enqueuedAt: NOW,
      lastHeartbeat: NOW,
      waitUntil: null,
      ours: true,
    });
  } finally {
    await store.close();
  }
  const out = await queueOut(m);
  assert.ok(!out.includes('\x1b'));
  assert.ok(out.split('\n')[1]!.includes('eve\\x1B[2J'), out);
  assert.ok(out.split('\n')[1]!.endsWith('hi\\x0Athere'), out);
});

test('on a terminal the place is one live line, cleared once granted', async () => {
  const m = await pool(1);
  assert.equal(await reserveCommand({ gpus: '1', duration: '1h' }, at(m, NOW, { user: 'bob' })), 0);
  const ctx = at(m, NOW);
  let err = '';
  ctx.stderr = Object.assign({ write: (s: string) => (err += s) }, { isTTY: true });
  const granted = reserveCommand({ gpus: '1', duration: '1h', wait: true }, ctx);
  await untilQueued(m, 1);
  assert.equal(await releaseCommand(at(m, NOW, { user: 'bob' })), 0);
  assert.equal(await granted, 0);
  assert.equal(err, '\r\x1b[KWaiting for 1 GPU: position 1 in queue (canhazgpu queue shows who is ahead)\r\x1b[K');
  assert.equal(ctx.out(), 'Reserved 1 GPU(s): [0] for 1h 0m 0s\n');
});
