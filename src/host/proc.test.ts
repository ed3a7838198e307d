import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ownerOf, ownerState, processStartTime } from './proc.js';

const until = async (check: () => boolean) => {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 20));
  return check();
};

test('an owner is alive while its process runs, dead once the pid is reused or gone, unknown elsewhere', async () => {
  assert.equal(ownerState(ownerOf()), 'alive');
  assert.equal(ownerState({ ...ownerOf(), startTime: '1' }), 'dead', 'same pid, another start time: a reused pid');
  assert.equal(
    ownerState({ ...ownerOf(), startTime: null }),
    'unknown',
    'no start time recorded: cannot tell a reused pid',
  );
  assert.equal(ownerState({ ...ownerOf(), host: 'another-host' }), 'unknown', 'other hosts are left to the heartbeat');
  const child = spawn('sleep', ['5']);
  const owner = ownerOf(child.pid!);
  assert.equal(ownerState(owner), 'alive');
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
  assert.equal(await until(() => ownerState(owner) === 'dead'), true);
});

test('an orphan that exited is dead even while no parent reaps it (a zombie)', async () => {
  // sh starts `sleep 0.2` in the background, then becomes `sleep 3`, which never reaps it.
  const parent = spawn('sh', ['-c', 'sleep 0.2 & echo $!; exec sleep 3'], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    const pid = Number(await new Promise<string>((resolve) => parent.stdout!.once('data', (d) => resolve(String(d)))));
    const owner = ownerOf(pid);
    assert.notEqual(owner.startTime, null);
    assert.equal(ownerState(owner), 'alive');
    assert.equal(await until(() => ownerState(owner) === 'dead'), true);
    assert.notEqual(processStartTime(pid), null, 'still in /proc, as a zombie');
  } finally {
    parent.kill('SIGKILL');
  }
});

const hasPython = spawnSync('python3', ['-c', 'import ctypes']).status === 0;

test('a process whose main thread ended while others run shows as a zombie, and is alive', {
  skip: !hasPython && 'needs python3',
}, async () => {
  // The main thread ends with pthread_exit; a second thread keeps the process going for 3 s.
  const code =
    'import threading, ctypes, time, os; threading.Thread(target=lambda: time.sleep(3)).start(); print(os.getpid(), flush=True); ctypes.CDLL(None).pthread_exit(None)';
  const child = spawn('python3', ['-c', code], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    const pid = Number(await new Promise<string>((resolve) => child.stdout!.once('data', (d) => resolve(String(d)))));
    const owner = ownerOf(pid);
    assert.equal(
      await until(() => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.startsWith('Z')),
      true,
      'the leader shows Z',
    );
    assert.equal(ownerState(owner), 'alive');
  } finally {
    child.kill('SIGKILL');
  }
});
