// `canhazgpu run` end to end: environment, exit codes, heartbeat, signals, crashes.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { processCommandLine } from '../src/host/proc.js';
import Database from 'better-sqlite3';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { CLI, eventually, finished, Sandbox } from './support/sandbox.js';

const SIGNAL_CHILD = join(import.meta.dirname, 'support/signal-child.mjs');

describe('canhazgpu run', () => {
  let box: Sandbox;
  let n = 0;
  before(() => {
    box = new Sandbox();
  });
  after(() => box.cleanup());
  beforeEach(async () => {
    box.setGpus({ gpus: [{}, {}, {}, {}] });
    await box.run(['admin', '--gpus', '4', '--force']);
  });

  const snapshot = async () => {
    const store = SqliteStore.open(box.storePath);
    try {
      return await store.snapshot();
    } finally {
      await store.close();
    }
  };
  const heldCount = async () => (await snapshot()).slots.filter((s) => s.reservation).length;
  const freeLines = async () => (await box.run(['status'])).stdout.split('\n').filter((l) => l.includes('AVAILABLE')).length;
  const recordFile = () => join(box.dir, `signals-${++n}`);

  test('sets CUDA_VISIBLE_DEVICES (over an inherited one) and CUDA_DEVICE_ORDER, then releases', async () => {
    const r = await box.run(['run', '--gpus', '2', '--', 'sh', '-c', 'echo "$CUDA_VISIBLE_DEVICES $CUDA_DEVICE_ORDER"'], { env: { CUDA_VISIBLE_DEVICES: '7' } });
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, '0,1 PCI_BUS_ID\n', '']);
    const status = (await box.run(['status'])).stdout.split('\n');
    assert.match(status[0]!, /^GPU 0: AVAILABLE \(last released 0h \d+m \d+s ago\)/);
    assert.equal(await heldCount(), 0);
  });

  test("passes the command's arguments, stdin and stdout through untouched", async () => {
    const child = box.spawn(['run', '--', 'sh', '-c', 'cat; echo "$# $1"', 'sh', '--gpus', '--'], { stdin: 'pipe' });
    child.stdin!.end('hello from stdin\n');
    const r = await finished(child);
    assert.deepEqual([r.code, r.stdout], [0, 'hello from stdin\n2 --gpus\n']);
  });

  test("exits with the command's exit code and releases its GPUs", async () => {
    for (const code of [0, 1, 3, 255]) {
      const r = await box.run(['run', '--gpus', '4', '--', 'sh', '-c', `exit ${code}`]);
      assert.equal(r.code, code);
    }
    assert.equal(await heldCount(), 0);
  });

  test('a command that does not exist exits 127 and leaks nothing', async () => {
    const r = await box.run(['run', '--', 'no-such-command-xyz']);
    assert.deepEqual([r.code, r.stderr], [127, 'Error: command not found: no-such-command-xyz\n']);
    assert.equal(await heldCount(), 0);
  });

  test('holds its GPUs while running; status shows the run and its heartbeat', async () => {
    const record = recordFile();
    const child = box.spawn(['run', '--gpus', '2', '--', process.execPath, SIGNAL_CHILD, record], { env: { CANHAZGPU_HEARTBEAT_SECONDS: '0.2' } });
    const done = finished(child);
    await eventually(() => existsSync(`${record}.ready`));
    assert.equal(readFileSync(`${record}.ready`, 'utf8'), '0,1');
    const { slots } = await snapshot();
    const start = slots[0]!.reservation!.startTime;
    // Owned by the command itself once it started, so the GPUs follow it should run be killed outright.
    await eventually(async () => processCommandLine((await snapshot()).slots[0]!.reservation!.owner!.pid)?.includes(SIGNAL_CHILD));
    const status = (await box.run(['status'])).stdout.split('\n');
    assert.match(status[0]!, /^GPU 0: IN USE by \S+ for 0h \d+m \d+s \(run, last heartbeat 0h \d+m \d+s ago\) \[validated: no actual usage detected\]$/);
    const busy = await box.run(['reserve', '--gpus', '3']);
    assert.equal(busy.stderr, 'Error: Not enough GPUs available. Requested: 3, Available: 2\n');
    // The heartbeat moves; the start time does not.
    await eventually(async () => (await snapshot()).slots[0]!.reservation!.lastHeartbeat > start + 300);
    assert.equal((await snapshot()).slots[1]!.reservation!.startTime, start);
    child.kill('SIGTERM');
    assert.equal((await done).code, 42);
    assert.equal(await heldCount(), 0);
  });

  test('SIGTERM and SIGINT reach the command once; run keeps its exit code and releases', async () => {
    for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
      const record = recordFile();
      const child = box.spawn(['run', '--gpus', '3', '--', process.execPath, SIGNAL_CHILD, record]);
      const done = finished(child);
      await eventually(() => existsSync(`${record}.ready`));
      child.kill(signal);
      const r = await done;
      assert.equal(r.code, 42, signal);
      assert.equal(readFileSync(record, 'utf8'), signal);
      assert.equal(await heldCount(), 0, signal);
    }
  });

  test('a command killed by a signal kills run with it (the shell sees 128 + its number), after the release', async () => {
    const child = box.spawn(['run', '--', 'sh', '-c', 'echo ready; exec sleep 30']);
    const done = finished(child);
    await eventually(async () => (await heldCount()) === 1);
    await new Promise((r) => setTimeout(r, 200));
    child.kill('SIGTERM');
    assert.deepEqual([(await done).code, (await done).signal], [null, 'SIGTERM']);
    assert.equal(await heldCount(), 0);
    // Through a shell, as scripts see it.
    const viaShell = await box.run(['run', '--', 'sh', '-c', 'kill -INT $$; sleep 5']);
    assert.equal(viaShell.signal, 'SIGINT');
    const status = spawnSync('sh', ['-c', `${process.execPath} ${CLI} run -- sh -c 'kill -TERM $$'; echo $?`], { env: box.env(), encoding: 'utf8' });
    assert.equal(status.stdout, '143\n');
  });

  test('one Ctrl-C at a terminal reaches the command exactly once', async () => {
    const record = recordFile();
    // `script` starts the command through $SHELL; exec so that shell (dash, when SHELL is unset) is not a
    // second process in the foreground group that turns the child's 42 into its own 130.
    const command = `exec ${process.execPath} ${CLI} run -- ${process.execPath} ${SIGNAL_CHILD} ${record}`;
    const terminal = spawn('script', ['-qfec', command, '/dev/null'], { env: box.env({ SHELL: '/bin/sh' }), stdio: ['pipe', 'pipe', 'pipe'] });
    const done = finished(terminal);
    await eventually(() => existsSync(`${record}.ready`));
    terminal.stdin!.write('\x03');
    const r = await done;
    assert.equal(readFileSync(record, 'utf8'), 'SIGINT');
    assert.equal(r.code, 42);
    assert.equal(await heldCount(), 0);
  });

  test('run killed with SIGKILL: its GPUs stay held while its command lives on, and are free the moment it ends', async () => {
    const record = recordFile();
    const child = box.spawn(['run', '--gpus', '4', '--', process.execPath, SIGNAL_CHILD, record], { detached: true });
    // The orphaned command keeps the output pipes open: wait for run's exit, not for the pipes to close.
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const done = finished(child);
    try {
      await eventually(() => existsSync(`${record}.ready`));
      assert.equal(await freeLines(), 0);
      process.kill(child.pid!, 'SIGKILL');
      await exited;
      // The command, orphaned but alive, may still be loading (under 1 GB): its GPUs are not handed out,
      // not even once nothing has beaten for them for longer than the 5-minute stale window.
      assert.equal(await freeLines(), 0);
      const db = new Database(box.storePath);
      db.prepare('UPDATE gpus SET last_heartbeat = last_heartbeat - 360000 WHERE user IS NOT NULL').run();
      db.close();
      assert.equal(await freeLines(), 0);
      assert.match((await box.run(['reserve', '--gpus', '1'])).stderr, /Not enough GPUs available/);
      process.kill(-child.pid!, 'SIGKILL');
      await done;
      await eventually(async () => (await freeLines()) === 4);
      const again = await box.run(['reserve', '--gpus', '4']);
      assert.equal(again.stdout, 'Reserved 4 GPU(s): [0, 1, 2, 3] for 8h 0m 0s\n');
    } finally {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
      await done;
    }
  });

  test('a run whose reservation is taken by admin --force says so on stderr and keeps running', async () => {
    const child = box.spawn(['run', '--', 'sleep', '1.5'], { env: { CANHAZGPU_HEARTBEAT_SECONDS: '0.2' } });
    const done = finished(child);
    await eventually(async () => (await heldCount()) === 1);
    await box.run(['admin', '--gpus', '4', '--force']);
    const r = await done;
    assert.equal(r.code, 0);
    assert.equal(r.stderr, "Warning: the reservation of GPU(s) [0] was lost (pool reinitialized by 'canhazgpu admin --force'?); the command keeps running without it\n");
  });
});
