// `canhazgpu run` as a process: stdio, signals, terminals, crashes. What it does with its command's
// environment, exit code and reservation is tested in-process (src/cli/commands/run.test.ts).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { CLI, eventually, finished, Sandbox } from '../support/sandbox.js';

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
  const freeLines = async () =>
    (await box.run(['status'])).stdout.split('\n').filter((l) => l.includes('AVAILABLE')).length;
  const recordFile = () => join(box.dir, `signals-${++n}`);

  test("passes the command's arguments, environment, stdin, stdout and exit code through", async () => {
    const script = 'cat; echo "$# $1 $CUDA_VISIBLE_DEVICES"; exit 3';
    const child = box.spawn(['run', '--gpus', '2', '--', 'sh', '-c', script, 'sh', '--gpus', '--'], {
      stdin: 'pipe',
      env: { CUDA_VISIBLE_DEVICES: '7' },
    });
    child.stdin!.end('hello from stdin\n');
    const r = await finished(child);
    assert.deepEqual([r.code, r.stdout, r.stderr], [3, 'hello from stdin\n2 --gpus 0,1\n', '']);
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
    const status = spawnSync('sh', ['-c', `${process.execPath} ${CLI} run -- sh -c 'kill -TERM $$'; echo $?`], {
      env: box.env(),
      encoding: 'utf8',
    });
    assert.equal(status.stdout, '143\n');
  });

  test('one Ctrl-C at a terminal reaches the command exactly once', async () => {
    const record = recordFile();
    // `script` starts the command through $SHELL; exec so that shell (dash, when SHELL is unset) is not a
    // second process in the foreground group that turns the child's 42 into its own 130.
    const command = `exec ${process.execPath} ${CLI} run -- ${process.execPath} ${SIGNAL_CHILD} ${record}`;
    const terminal = spawn('script', ['-qfec', command, '/dev/null'], {
      env: box.env({ SHELL: '/bin/sh' }),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
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
});
