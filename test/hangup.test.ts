// `run` from a terminal that goes away (an SSH session that disconnects), in a real pseudo-terminal
// (`script`) killed under it: run neither dies nor releases; its command gets the hangup once, as it
// would without run; a command that ignores it goes on holding its GPUs, and they are released when it ends.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { statFields } from '../src/host/proc.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { CLI, eventually, finished } from '../support/sandbox.js';
import { poolPerTest } from './support/pool-per-test.js';

const CHILD = join(import.meta.dirname, 'support/hangup-child.mjs');

describe('canhazgpu run when its terminal hangs up', () => {
  const sandbox = poolPerTest(2);
  let n = 0;

  const reservations = async () => {
    const store = SqliteStore.open(sandbox().storePath);
    try {
      return (await store.snapshot()).slots.map((s) => s.reservation);
    } finally {
      await store.close();
    }
  };
  const alive = (pid: number) => {
    const state = statFields(pid)?.[0];
    return state !== undefined && state !== 'Z' && state !== 'X';
  };

  /** `run [flags] -- hangup-child` in a pseudo-terminal; `shell`: through a shell that stays (not exec'd). */
  async function underTerminal(mode: 'ignore' | 'die', flags: string[], shell: boolean, jobPrefix = '') {
    const dir = mkdtempSync(join(sandbox().dir, `hup${++n}-`));
    const job = `${jobPrefix}${process.execPath} ${CHILD} ${dir} ${mode}`;
    const run = `${process.execPath} ${CLI} run ${flags.join(' ')} -- ${job}`;
    const terminal: ChildProcess = spawn('script', ['-qfec', shell ? `${run}; true` : `exec ${run}`, '/dev/null'], {
      env: sandbox().env({ SHELL: '/bin/sh', CANHAZGPU_HEARTBEAT_SECONDS: '0.2' }),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const closed = finished(terminal);
    await eventually(() => existsSync(join(dir, 'ready')) && readFileSync(join(dir, 'ready'), 'utf8') !== '');
    const child = Number(readFileSync(join(dir, 'ready'), 'utf8'));
    const runPid = Number(statFields(child)![1]);
    const hangUp = async () => {
      terminal.kill('SIGKILL'); // the master side closes: the terminal hangs up, as when sshd loses the client
      await closed;
    };
    const signals = () => (existsSync(join(dir, 'signals')) ? readFileSync(join(dir, 'signals'), 'utf8') : '');
    return { dir, child, runPid, hangUp, signals, go: () => writeFileSync(join(dir, 'go'), '') };
  }

  for (const shell of [false, true]) {
    const how = shell ? 'under a shell' : 'as the session leader';
    test(`${how}: a job that ignores SIGHUP goes on, gets it once, and keeps its GPUs until it ends`, async () => {
      const t = await underTerminal('ignore', ['--note', 'survives'], shell);
      try {
        await t.hangUp();
        await eventually(() => t.signals() === 'SIGHUP\n');
        const beat = (await reservations())[0]!.lastHeartbeat;
        // The heartbeat goes on after the hangup: run is alive and supervising.
        await eventually(async () => (await reservations())[0]!.lastHeartbeat > beat);
        assert.ok(alive(t.runPid), 'run lives');
        assert.ok(alive(t.child), 'the job lives');
        assert.equal((await reservations())[0]!.note, 'survives');
        assert.equal(t.signals(), 'SIGHUP\n', 'once, not forwarded a second time');
      } finally {
        t.go();
      }
      await eventually(() => !alive(t.runPid) && !alive(t.child));
      assert.deepEqual(await reservations(), [null, null]);
    });
  }

  for (const shell of [false, true]) {
    test(`${shell ? 'under a shell' : 'as the session leader'}: a job under setsid gets no hangup at all and goes on`, async () => {
      const t = await underTerminal('die', [], shell, 'setsid ');
      try {
        await t.hangUp();
        const beat = (await reservations())[0]!.lastHeartbeat;
        await eventually(async () => (await reservations())[0]!.lastHeartbeat > beat);
        await new Promise((resolve) => setTimeout(resolve, 300)); // time for a forwarded SIGHUP to land
        assert.ok(alive(t.child), 'the job was not hung up');
        assert.ok(alive(t.runPid), 'run lives');
      } finally {
        t.go();
      }
      await eventually(() => !alive(t.runPid) && !alive(t.child));
      assert.deepEqual(await reservations(), [null, null]);
    });
  }

  for (const shell of [false, true]) {
    test(`${shell ? 'under a shell' : 'as the session leader'}: a job that does not ignore SIGHUP ends with the terminal, and its GPUs are released`, async () => {
      const t = await underTerminal('die', [], shell);
      await t.hangUp();
      await eventually(() => !alive(t.runPid) && !alive(t.child));
      assert.deepEqual(await reservations(), [null, null]);
    });
  }

  test('run outlives writing to the hung-up terminal: --timeout after the hangup still ends the job and releases', async () => {
    const t = await underTerminal('ignore', ['--timeout', '2s', '--kill-after', '1s'], false);
    try {
      await t.hangUp();
      await eventually(() => !alive(t.child), 15_000);
      assert.equal(t.signals(), 'SIGHUP\nSIGTERM\n', 'SIGTERM at the timeout, then SIGKILL');
      await eventually(() => !alive(t.runPid));
      assert.deepEqual(await reservations(), [null, null]);
    } finally {
      t.go();
    }
  });
});
