// run --timeout, in-process with timers the test fires by hand: SIGTERM when the time is up, SIGKILL
// after the grace when the command ignores it, then release and GNU timeout's exit status 124.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { eventually } from '../../../support/sandbox.js';
import { at, NOW, S, statusLines, world } from '../../../test/support/world.js';
import { UsageError } from '../../domain/errors.js';
import type { Timers } from '../../run/supervisor.js';
import { SqliteStore } from '../../store/sqlite/sqlite-store.js';
import { adminCommand } from './admin.js';
import { runCommand, TIMED_OUT_EXIT } from './run.js';

const w = world('timeout');
let n = 0;

/** Timers that fire only when the test says; `armed` lists the delays set and not yet fired or cleared. */
function handTimers() {
  const pending = new Map<number, { fn: () => void; ms: number }>();
  let next = 0;
  const timers: Timers = {
    setTimeout: (fn, ms) => {
      pending.set(++next, { fn, ms });
      return next;
    },
    clearTimeout: (handle) => pending.delete(handle as number),
  };
  const armed = () => [...pending.values()].map((t) => t.ms);
  const fire = (ms: number) => {
    const [id, t] = [...pending.entries()].find(([, t]) => t.ms === ms)!;
    pending.delete(id);
    t.fn();
  };
  return { timers, armed, fire };
}

/** A command that says it started (a file), ignoring SIGTERM when told; it ends only by a signal. */
function sleeper(ignoreTerm: boolean) {
  const ready = join(w.dir, `ready${++n}`);
  const script = `${ignoreTerm ? "process.on('SIGTERM', () => {});" : ''}
require('node:fs').writeFileSync(${JSON.stringify(ready)}, ''); setInterval(() => {}, 1000);`;
  return { command: [process.execPath, '-e', script], ready };
}

async function pool() {
  const m = w.machine(2);
  await adminCommand({ gpus: '2', force: false }, at(m, NOW - 60 * S));
  return m;
}

for (const ignoreTerm of [false, true]) {
  test(`--timeout: SIGTERM when time is up${ignoreTerm ? ', SIGKILL after --kill-after when ignored' : ''}; released; exit 124`, async () => {
    const m = await pool();
    const { timers, armed, fire } = handTimers();
    const c = sleeper(ignoreTerm);
    const ctx = at(m);
    const done = runCommand({ gpus: '2', timeout: '2h', killAfter: '10s', timers, command: c.command }, ctx);
    await eventually(() => existsSync(c.ready));
    assert.deepEqual(armed(), [2 * 3600 * S]);
    assert.match((await statusLines(m))[0]!, /^GPU 0: IN USE by alice/);
    fire(2 * 3600 * S);
    assert.deepEqual(armed(), [10 * S], 'SIGKILL armed');
    if (ignoreTerm) {
      // Still running after SIGTERM: give it time to have ignored it, then the grace ends.
      await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual(armed(), [10 * S]);
      fire(10 * S);
    }
    assert.equal(await done, TIMED_OUT_EXIT);
    assert.deepEqual(armed(), [], 'nothing left armed');
    assert.deepEqual(ctx.died, [], 'run does not die of the signal it sent');
    assert.equal(ctx.err(), 'canhazgpu: the command ran out of its 2h 0m 0s; sending SIGTERM (SIGKILL in 0h 0m 10s)\n');
    assert.deepEqual(await statusLines(m), [
      'GPU 0: AVAILABLE (last released 0h 0m 0s ago)',
      'GPU 1: AVAILABLE (last released 0h 0m 0s ago)',
    ]);
    const store = SqliteStore.open(m.storePath);
    try {
      const ended = await store.history(0, NOW + S);
      assert.deepEqual(
        ended.map((r) => [r.gpuId, r.reason]),
        [
          [0, 'timed_out'],
          [1, 'timed_out'],
        ],
      );
    } finally {
      await store.close();
    }
  });
}

test('a command that ends in time keeps its own exit status and disarms the limit', async () => {
  const m = await pool();
  const { timers, armed } = handTimers();
  const ctx = at(m);
  const command = [process.execPath, '-e', 'process.exit(3)'];
  assert.equal(await runCommand({ gpus: undefined, timeout: '1m', timers, command }, ctx), 3);
  assert.deepEqual([armed(), ctx.err()], [[], '']);
});

test('bad --timeout or --kill-after, or --kill-after alone, is one line and runs nothing', async () => {
  const m = await pool();
  const marker = join(w.dir, 'ran');
  const command = [process.execPath, '-e', `require('node:fs').writeFileSync(${JSON.stringify(marker)}, '')`];
  for (const [timeout, killAfter, message] of [
    ['soon', undefined, "Invalid value for '--timeout'. Invalid duration format. Use formats like: 30m, 2h, 1d, 0.5h"],
    ['1h', '0s', "Invalid value for '--kill-after'. Invalid duration format. Use formats like: 30m, 2h, 1d, 0.5h"],
    [undefined, '5s', '--kill-after needs --timeout'],
  ] as const) {
    await assert.rejects(runCommand({ gpus: undefined, timeout, killAfter, command }, at(m)), (e: Error) => {
      assert.ok(e instanceof UsageError);
      assert.equal(e.message, message);
      return true;
    });
  }
  assert.equal(existsSync(marker), false);
});
