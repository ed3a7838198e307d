// run, in-process with real short commands: the environment they get, their exit codes passed through,
// the reservation held while they run and released after. Signals sent to run itself, terminals and
// SIGKILL need the binary (test/run.test.ts).
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { eventually } from '../../../support/sandbox.js';
import { at, NOW, S, statusLines, world, type Paths } from '../../../test/support/world.js';
import { NotEnoughGpusError } from '../../domain/errors.js';
import { processCommandLine } from '../../host/proc.js';
import { SqliteStore } from '../../store/sqlite/sqlite-store.js';
import { adminCommand } from './admin.js';
import { reserveCommand } from './reserve.js';
import { runCommand } from './run.js';

const w = world('run');
/** Writes what CUDA it was given to ARGV[2], then waits for the file ARGV[3] and exits with ARGV[4]. */
const CHILD = join(w.dir, 'child.mjs');
writeFileSync(
  CHILD,
  `import { existsSync, writeFileSync } from 'node:fs';
const [ready, go, code] = process.argv.slice(2);
writeFileSync(ready, process.env.CUDA_VISIBLE_DEVICES + ' ' + process.env.CUDA_DEVICE_ORDER);
const timer = setInterval(() => {
  if (!existsSync(go)) return;
  clearInterval(timer);
  process.exitCode = Number(code ?? 0);
}, 10);
`,
);
let n = 0;

/** A child that runs until told to go; `ready` holds its CUDA_VISIBLE_DEVICES and CUDA_DEVICE_ORDER. */
function child(code = 0) {
  const ready = join(w.dir, `ready${++n}`);
  const go = join(w.dir, `go${n}`);
  return { command: [process.execPath, CHILD, ready, go, String(code)], ready, go: () => writeFileSync(go, '') };
}

async function pool(count: number): Promise<Paths> {
  const m = w.machine(count);
  await adminCommand({ gpus: String(count), force: false }, at(m, NOW - 60 * S));
  return m;
}

async function snapshot(m: Paths) {
  const store = SqliteStore.open(m.storePath);
  try {
    return await store.snapshot();
  } finally {
    await store.close();
  }
}
const held = async (m: Paths) => (await snapshot(m)).slots.filter((s) => s.reservation).length;

test('sets CUDA_VISIBLE_DEVICES (over an inherited one) and CUDA_DEVICE_ORDER, then releases', async () => {
  const m = await pool(4);
  const c = child();
  c.go();
  const ctx = at(m, NOW, { env: { CUDA_VISIBLE_DEVICES: '7' } });
  assert.equal(await runCommand({ gpus: '2', command: c.command }, ctx), 0);
  assert.equal(readFileSync(c.ready, 'utf8'), '0,1 PCI_BUS_ID');
  assert.deepEqual([ctx.out(), ctx.err(), ctx.died], ['', '', []]);
  assert.equal(await held(m), 0);
  assert.deepEqual((await statusLines(m, NOW + 2 * S)).slice(0, 2), [
    'GPU 0: AVAILABLE (last released 0h 0m 2s ago)',
    'GPU 1: AVAILABLE (last released 0h 0m 2s ago)',
  ]);
});

test("exits with the command's exit code and releases its GPUs", async () => {
  const m = await pool(4);
  for (const code of [0, 1, 3, 255]) {
    const ctx = at(m);
    const command = [process.execPath, '-e', `process.exit(${code})`];
    assert.equal(await runCommand({ gpus: '4', command }, ctx), code);
    assert.equal(await held(m), 0, String(code));
    assert.deepEqual(ctx.died, []);
  }
});

test('a command that does not exist exits 127 and leaks nothing', async () => {
  const m = await pool(2);
  const ctx = at(m);
  assert.equal(await runCommand({ gpus: undefined, command: ['no-such-command-xyz'] }, ctx), 127);
  assert.deepEqual([ctx.out(), ctx.err()], ['', 'Error: command not found: no-such-command-xyz\n']);
  assert.equal(await held(m), 0);
});

test('holds its GPUs while running, owned by the command; status shows the run; the heartbeat moves', async () => {
  const m = await pool(4);
  const c = child(5);
  const ctx = at(m, NOW, { env: { CANHAZGPU_HEARTBEAT_SECONDS: '0.1' } });
  const done = runCommand({ gpus: '2', command: c.command }, ctx);
  try {
    await eventually(() => existsSync(c.ready));
    assert.equal(readFileSync(c.ready, 'utf8'), '0,1 PCI_BUS_ID');
    // Owned by the command itself once it started, so the GPUs follow it should run be killed outright.
    const owner = async () => (await snapshot(m)).slots[0]!.reservation!.owner!.pid;
    await eventually(async () => processCommandLine(await owner())?.includes(CHILD));
    ctx.setNow(NOW + 5 * S);
    const beats = async () => (await snapshot(m)).slots.map((s) => s.reservation?.lastHeartbeat ?? null);
    await eventually(async () => (await beats()).join() === [NOW + 5 * S, NOW + 5 * S, null, null].join());
    // The heartbeat moved; the start time did not.
    assert.deepEqual(
      (await snapshot(m)).slots.map((s) => s.reservation?.startTime ?? null),
      [NOW, NOW, null, null],
    );
    assert.deepEqual((await statusLines(m, NOW + 7 * S)).slice(0, 3), [
      'GPU 0: IN USE by alice for 0h 0m 7s (run, last heartbeat 0h 0m 2s ago) [validated: no actual usage detected]',
      'GPU 1: IN USE by alice for 0h 0m 7s (run, last heartbeat 0h 0m 2s ago) [validated: no actual usage detected]',
      'GPU 2: AVAILABLE',
    ]);
    await assert.rejects(reserveCommand({ gpus: '3', duration: undefined }, at(m, NOW + 7 * S)), (err: Error) => {
      assert.ok(err instanceof NotEnoughGpusError);
      assert.equal(err.message, 'Not enough GPUs available. Requested: 3, Available: 2');
      return true;
    });
  } finally {
    c.go();
  }
  assert.equal(await done, 5);
  assert.deepEqual([ctx.out(), ctx.err(), ctx.died], ['', '', []]);
  assert.equal(await held(m), 0);
});

test('a command killed by a signal: run releases, returns 128 + its number, and asks to die of it', async () => {
  const m = await pool(2);
  for (const [signal, code] of [
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const) {
    const ctx = at(m);
    const command = [process.execPath, '-e', `process.kill(process.pid, '${signal}'); setTimeout(() => {}, 5000)`];
    assert.equal(await runCommand({ gpus: '2', command }, ctx), code, signal);
    assert.deepEqual([ctx.died, ctx.err()], [[signal], ''], signal);
    assert.equal(await held(m), 0, signal);
  }
});

test('a run whose reservation is taken by admin --force says so on stderr and keeps running', async () => {
  const m = await pool(4);
  const c = child();
  const ctx = at(m, NOW, { env: { CANHAZGPU_HEARTBEAT_SECONDS: '0.1' } });
  const done = runCommand({ gpus: undefined, command: c.command }, ctx);
  try {
    await eventually(() => existsSync(c.ready));
    await adminCommand({ gpus: '4', force: true }, at(m, NOW + S));
    await eventually(() => ctx.err() !== '');
  } finally {
    c.go();
  }
  assert.equal(await done, 0);
  assert.equal(
    ctx.err(),
    'Warning: the reservation of GPU(s) [0] was lost ' +
      "(pool reinitialized by 'canhazgpu admin --force'?); the command keeps running without it\n",
  );
});
