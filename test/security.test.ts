// Identity and permissions, with a second real user (`nobody`, through setpriv). Needs root to switch.
import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { userInfo } from 'node:os';
import { after, describe, test } from 'node:test';
import { ROOT, Sandbox } from '../support/sandbox.js';

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
      assert.match(
        r.stderr,
        new RegExp(
          // Only its owner may write it: a private store, which other users reach through the agent.
          `^Error: The GPU store ${box.storePath} is writable by its owner alone, so the canhazgpu agent keeps it, and no agent answers at ${box.storePath}\\.sock \\(ENOENT\\): ask root to start it \\(systemctl start canhazgpu-agent\\), or, for a shared store, to make it writable by every user \\(chmod a\\+rw ${box.storePath} ${box.storePath}-journal\\)\\.\\n$`,
        ),
      );
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
    assert.deepEqual(
      [r.code, r.stdout, r.stderr],
      [
        1,
        '',
        `Error: Only root may reinitialize the pool at ${box.storePath}: --force clears every user's reservations\n`,
      ],
    );
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
      assert.match(
        r.stderr,
        new RegExp(
          `^Error: Cannot open the GPU store ${box.storePath} \\(EACCES: permission denied.*\\)\\. Make its directory reachable by every user \\(chmod a\\+rx ${dir}\\), or choose another store with --store\\.\\n$`,
        ),
      );
    } finally {
      chmodSync(dir, mode);
    }
  });

  test('nobody can swap the store for a link: its directory is theirs to read, not to write', async () => {
    const dir = dirname(box.storePath);
    assert.equal(statSync(dir).mode & 0o7777, 0o755);
    const swap = await box.run([], { prefix: [...AS_NOBODY, 'sh', '-c', `mv ${box.storePath} ${box.storePath}.old`] });
    assert.match(swap.stderr, /Permission denied/);
    const wipe = await box.run([], { prefix: [...AS_NOBODY, 'rm', '-f', box.storePath] });
    assert.notEqual(wipe.code, 0);
    const again = await box.run(['admin', '--gpus', '8'], { prefix: AS_NOBODY });
    assert.deepEqual(
      [again.code, again.stderr],
      [
        1,
        'Error: GPU pool already initialized with 4 GPUs. Use --force to reinitialize (this clears all reservations).\n',
      ],
    );
  });

  test("root's admin refuses a store another user replaced with a link, and leaves the link's target as it was", async () => {
    const dir = join(box.dir, 'old-layout');
    const store = join(dir, 'state.db');
    await box.run(['admin', '--gpus', '2', '--store', store]);
    chmodSync(dir, 0o777); // the directory of older versions, open to every user
    const victim = join(box.dir, 'victim');
    writeFileSync(victim, 'root only');
    chmodSync(victim, 0o600);
    const plant = await box.run([], {
      prefix: [...AS_NOBODY, 'sh', '-c', `mv ${store} ${store}.old && ln -s ${victim} ${store}`],
    });
    assert.equal(plant.code, 0, plant.stderr);
    for (const args of [['admin', '--gpus', '8'], ['admin', '--gpus', '8', '--force'], ['status'], ['reserve']]) {
      const r = await box.run([...args, '--store', store]);
      assert.equal(r.code, 1, args.join(' '));
      assert.match(
        r.stderr,
        new RegExp(`^Error: Refusing the GPU store ${store}: ${dir} is writable by other users and not sticky`),
        args.join(' '),
      );
    }
    chmodSync(dir, 0o755); // even in a safe directory, a link in the store's place is refused
    const r = await box.run(['admin', '--gpus', '8', '--force', '--store', store]);
    assert.match(r.stderr, new RegExp(`^Error: Refusing the GPU store ${store}: ${store} is a symbolic link`));
    assert.equal(statSync(victim).mode & 0o7777, 0o600);
    assert.equal(readFileSync(victim, 'utf8'), 'root only');
  });

  test('root ignores a per-user config file it does not own (a HOME another user controls)', async () => {
    const home = join(box.dir, 'nobody-home');
    mkdirSync(home);
    // A setting that shows in status: 1 MB makes GPUs with 4 MB in use count as taken without reservation.
    writeFileSync(join(home, '.canhazgpu.json'), JSON.stringify({ memory_threshold_mb: 1 }));
    chownSync(home, 65534, 65534);
    chownSync(join(home, '.canhazgpu.json'), 65534, 65534);
    box.setGpus({ gpus: [{ memory_used_mib: 4 }, {}, {}, {}] });
    const asRoot = await box.run(['status'], { env: { HOME: home } });
    const file = `${home}/.canhazgpu.json`;
    assert.ok(
      asRoot.stderr.startsWith(
        `Warning: ignoring config file ${file}: ${file} belongs to uid 65534, not to root or you\n`,
      ),
      asRoot.stderr,
    );
    assert.match(asRoot.stdout, /^GPU 0: AVAILABLE/);
    // Its owner still gets what the file says.
    const asOwner = await box.run(['status'], { env: { HOME: home }, prefix: AS_NOBODY });
    assert.equal(asOwner.stderr, '');
    assert.match(asOwner.stdout, /^GPU 0: IN USE WITHOUT RESERVATION/);
    box.setGpus({ gpus: [{}, {}, {}, {}] });
  });

  test('serve refuses accounts another user could replace or read, and the default directory is its own', async () => {
    const open = join(box.dir, 'open-accounts');
    mkdirSync(open);
    chmodSync(open, 0o777); // the layout of older versions: anyone could swap server.db for their own
    const store = { CANHAZGPU_STORE: box.storePath, CANHAZGPU_PROVIDER: 'fake' };
    const swapped = await box.run(['serve', '--http', '127.0.0.1:0', '--grpc', 'off'], {
      env: { ...store, CANHAZGPU_ACCOUNTS: join(open, 'server.db') },
    });
    assert.equal(swapped.code, 1);
    assert.match(
      swapped.stderr,
      new RegExp(
        `^Error: Refusing the server's accounts at ${open}/server\\.db: ${open} is writable by other users\\.`,
      ),
    );
    const theirs = join(box.dir, 'their-accounts');
    mkdirSync(theirs, { mode: 0o700 });
    chownSync(theirs, 65534, 65534);
    const planted = await box.run(['apikey', 'create', '--name', 'k'], {
      env: { ...store, CANHAZGPU_ACCOUNTS: join(theirs, 'server.db') },
    });
    assert.equal(planted.code, 1);
    assert.match(planted.stderr, /belongs to uid 65534, not to the server's user \(uid 0\)/);
    const made = join(box.dir, 'fresh', 'canhazgpu-server');
    const added = await box.run(['apikey', 'create', '--name', 'k'], {
      env: { ...store, CANHAZGPU_ACCOUNTS: join(made, 'server.db') },
    });
    assert.equal(added.code, 0, added.stderr);
    assert.equal(statSync(made).mode & 0o7777, 0o700);
    const peek = await box.run([], { prefix: [...AS_NOBODY, 'ls', made] });
    assert.notEqual(peek.code, 0);
  });

  test("a journal another user wrote to make root's SQLite delete a file is refused, and the file survives", async () => {
    const victim = join(box.dir, 'root-only');
    writeFileSync(victim, 'root only');
    chmodSync(victim, 0o600);
    const journal = `${box.storePath}-journal`;
    // The reviewer's attack: a hot journal whose super-journal record names the victim, written by nobody.
    const plant = `const fs = require('fs'); const name = Buffer.from(process.argv[2]);
      const u32 = (n) => { const b = Buffer.alloc(4); b.writeUInt32BE(n >>> 0); return b; };
      const magic = Buffer.from([0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7]);
      const sum = name.reduce((a, c) => a + c, 0);
      fs.writeFileSync(process.argv[1], Buffer.concat([Buffer.from([1]), Buffer.alloc(511), u32(0x7fffffff), name,
        u32(name.length), u32(sum), magic]));`;
    const wrote = await box.run([], { prefix: [...AS_NOBODY, process.execPath, '-e', plant, journal, victim] });
    assert.equal(wrote.code, 0, wrote.stderr);
    for (const args of [['status'], ['reserve'], ['admin', '--gpus', '4', '--force']]) {
      const r = await box.run(args);
      assert.equal(r.code, 1, args.join(' '));
      assert.match(r.stderr, /ends with a super-journal record, which canhazgpu never writes/, args.join(' '));
    }
    assert.equal(readFileSync(victim, 'utf8'), 'root only');
    writeFileSync(journal, ''); // root truncates it, as the message says
    assert.equal((await box.run(['status'])).code, 0);
  });

  test("a write killed halfway stops others' commands with one line until root's next command rolls it back", async () => {
    const driver = join(ROOT, 'node_modules', 'better-sqlite3');
    const killed = `const D = require(${JSON.stringify(driver)}); const db = new D(process.argv[1]);
      db.pragma('journal_mode = PERSIST'); db.pragma('cache_size = 1'); db.exec('BEGIN IMMEDIATE');
      db.exec('CREATE TABLE junk (x)'); const s = db.prepare('INSERT INTO junk VALUES (randomblob(3000))');
      for (let i = 0; i < 200; i++) s.run();
      process.kill(process.pid, 'SIGKILL');`;
    const writer = await box.run([], { prefix: [...AS_NOBODY, process.execPath, '-e', killed, box.storePath] });
    assert.equal(writer.signal, 'SIGKILL');
    const stuck = await box.run(['status'], { prefix: AS_NOBODY });
    assert.deepEqual(
      [stuck.code, stuck.stderr],
      [
        1,
        `Error: An interrupted write left a journal in the GPU store ${box.storePath} that only root can roll back: run 'canhazgpu status' as root.\n`,
      ],
    );
    assert.equal((await box.run(['status'])).code, 0);
    const after = await box.run(['reserve'], { prefix: AS_NOBODY });
    assert.equal(after.code, 0, after.stderr);
    await box.run(['release'], { prefix: AS_NOBODY });
  });
});
