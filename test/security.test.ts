// Identity and permissions, with a second real user (`nobody`, through setpriv). Needs root to switch.
import assert from 'node:assert/strict';
import { chmodSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { userInfo } from 'node:os';
import { after, describe, test } from 'node:test';
import { Sandbox } from './support/sandbox.js';

const isRoot = process.getuid?.() === 0;
const AS_NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--'];

describe('identity and permissions', { skip: !isRoot && 'needs root to run commands as another user' }, () => {
  const box = new Sandbox();
  after(() => box.cleanup());

  test('admin makes the store usable by every local user', async () => {
    box.setGpus({ gpus: [{}, {}, {}, {}] });
    await box.run(['admin', '--gpus', '4']);
    const r = await box.run(['reserve', '--gpus', '1'], { prefix: AS_NOBODY });
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'Reserved 1 GPU(s): [0] for 8h 0m 0s\n', '']);
  });

  test("the user is the real uid's name: USER=root neither makes nobody root nor releases root's GPUs", async () => {
    const me = userInfo().username;
    await box.run(['reserve', '--gpus', '2']); // root holds 1 and 2
    const spoof = await box.run(['release'], { prefix: AS_NOBODY, env: { USER: me, LOGNAME: me } });
    assert.equal(spoof.stdout, 'Released 1 GPU(s): [0]\n');
    const lines = (await box.run(['status'])).stdout.split('\n');
    assert.match(lines[1]!, new RegExp(`^GPU 1: IN USE by ${me} for`));
    assert.match(lines[2]!, new RegExp(`^GPU 2: IN USE by ${me} for`));
    const nobodyAgain = await box.run(['reserve'], { prefix: AS_NOBODY, env: { USER: me } });
    assert.equal(nobodyAgain.code, 0);
    assert.match((await box.run(['status'])).stdout, /^GPU 3: IN USE by nobody for/m); // never used before: first in line
    assert.equal((await box.run(['release'], { prefix: AS_NOBODY })).stdout, 'Released 1 GPU(s): [3]\n');
    assert.equal((await box.run(['release'])).stdout, 'Released 2 GPU(s): [1, 2]\n');
  });

  test('a store the user cannot write gives one line naming it and the fix, and changes nothing', async () => {
    const held = async () => (await box.run(['status'])).stdout.match(/IN USE/g)?.length ?? 0;
    const before = await held();
    chmodSync(box.storePath, 0o644);
    try {
      const r = await box.run(['reserve'], { prefix: AS_NOBODY });
      assert.equal(r.code, 1);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, new RegExp(`^Error: Cannot write the GPU store ${box.storePath} \\(attempt to write a readonly database\\)\\. Make it readable and writable by every user \\(chmod a\\+rw .*\\), or choose another store with --store\\.\\n$`));
      assert.equal(await held(), before);
    } finally {
      chmodSync(box.storePath, 0o666);
    }
  });

  test("admin --force, which clears everyone's reservations, is for root or the store's owner only", async () => {
    box.setGpus({ gpus: [{}, {}, {}, {}] });
    await box.run(['admin', '--gpus', '4', '--force']);
    await box.run(['reserve', '--gpus', '2']);
    // Who holds which GPU, not the status lines: their times move on between two looks.
    const holders = async () =>
      JSON.parse((await box.run(['status', '--json'])).stdout).map((g: { user?: string }) => g.user ?? null);
    const before = await holders();
    assert.deepEqual(before, [userInfo().username, userInfo().username, null, null]);
    const r = await box.run(['admin', '--gpus', '8', '--force'], { prefix: AS_NOBODY });
    assert.deepEqual([r.code, r.stdout, r.stderr], [1, '', `Error: Only root may reinitialize the pool at ${box.storePath}: --force clears every user's reservations\n`]);
    assert.deepEqual(await holders(), before);
    await box.run(['release']);
  });

  test('a store directory the user may not enter is said to be unreachable, not uninitialised', async () => {
    const dir = dirname(box.storePath);
    const mode = statSync(dir).mode & 0o7777;
    chmodSync(dir, 0o700);
    try {
      const r = await box.run(['status'], { prefix: AS_NOBODY });
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`^Error: Cannot open the GPU store ${box.storePath} \\(EACCES: permission denied.*\\)\\. Make its directory reachable by every user \\(chmod a\\+rx ${dir}\\), or choose another store with --store\\.\\n$`));
    } finally {
      chmodSync(dir, mode);
    }
  });
});
