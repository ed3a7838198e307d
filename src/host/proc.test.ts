import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { isOwnerAlive, ownerOf, processStartTime } from './proc.js';

const until = async (check: () => boolean) => {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 20));
  return check();
};

test('an owner is alive while its process runs, and not once the pid is reused or gone', async () => {
  assert.equal(isOwnerAlive(ownerOf()), true);
  assert.equal(isOwnerAlive({ ...ownerOf(), startTime: '1' }), false, 'same pid, another start time: a reused pid');
  assert.equal(isOwnerAlive({ ...ownerOf(), host: 'another-host' }), true, 'other hosts are left to the heartbeat');
  const child = spawn('sleep', ['5']);
  const owner = ownerOf(child.pid!);
  assert.equal(isOwnerAlive(owner), true);
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
  assert.equal(await until(() => !isOwnerAlive(owner)), true);
});

test('an orphan that exited is dead even while no parent reaps it (a zombie)', async () => {
  // sh starts `sleep 0.2` in the background, then becomes `sleep 3`, which never reaps it.
  const parent = spawn('sh', ['-c', 'sleep 0.2 & echo $!; exec sleep 3'], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    const pid = Number(await new Promise<string>((resolve) => parent.stdout!.once('data', (d) => resolve(String(d)))));
    const owner = ownerOf(pid);
    assert.notEqual(owner.startTime, null);
    assert.equal(isOwnerAlive(owner), true);
    assert.equal(await until(() => !isOwnerAlive(owner)), true);
    assert.notEqual(processStartTime(pid), null, 'still in /proc, as a zombie');
  } finally {
    parent.kill('SIGKILL');
  }
});
