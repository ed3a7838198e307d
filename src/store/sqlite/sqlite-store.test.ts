import assert from 'node:assert/strict';
import {
  chmodSync,
  chownSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { PoolNotInitializedError, StoreUnavailableError } from '../../domain/errors.js';
import { runStoreContract } from '../contract.case.test.js';
import { SqliteStore } from './sqlite-store.js';
import { journalOf, keptByAgent } from './store-files.js';
import { defaultLiveness } from '../../domain/liveness.js';

const dir = mkdtempSync(join(tmpdir(), 'canhazgpu-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

runStoreContract('sqlite', { open: async (options) => SqliteStore.create(join(dir, `contract-${++n}.db`), options) });
runStoreContract('sqlite, long-lived (serve, run)', {
  open: async (options) => {
    const path = join(dir, `contract-${++n}.db`);
    await SqliteStore.create(path).close();
    return SqliteStore.open(path, { longLived: true, ...options });
  },
});

test('a store set up before notes and policies gets their columns on its first write, its reservations kept', async () => {
  const path = join(dir, 'older.db');
  const store = SqliteStore.create(path);
  await store.initialize(2, false, Date.now());
  await store.allocate({ ...request('old'), only: [0] });
  await store.close();
  const db = new Database(path);
  for (const [table, column] of [
    ['gpus', 'note'],
    ['gpus', 'last_released_by'],
    ['pool', 'policy'],
  ])
    db.exec(`ALTER TABLE ${table} DROP COLUMN ${column}`);
  db.close();
  const older = SqliteStore.open(path);
  try {
    const before = await older.snapshot();
    assert.deepEqual([before.slots[0]!.reservation?.user, before.policy], ['alice', undefined]);
    await older.allocate({ ...request('new'), note: 'after the upgrade' });
    await older.setPolicy('mru-per-user');
    const after = await older.snapshot();
    assert.deepEqual(
      [after.slots.map((s) => s.reservation?.token), after.slots[1]!.reservation!.note, after.policy],
      [['old', 'new'], 'after the upgrade', 'mru-per-user'],
    );
  } finally {
    await older.close();
  }
});

test('a readings table made before probers were named gets the column on the next claim, its reading kept', async () => {
  const path = join(dir, 'older-readings.db');
  const store = SqliteStore.create(path);
  await store.initialize(1, false, Date.now());
  await store.saveReading({ host: 'h', takenAt: 1, usage: [] });
  await store.close();
  const db = new Database(path);
  db.exec('ALTER TABLE readings DROP COLUMN prober');
  db.close();
  const older = SqliteStore.open(path);
  try {
    const prober = { host: 'box', pid: 7, startTime: '9' };
    assert.equal(await older.claimProbe('h', Date.now(), 60_000, prober), true);
    assert.deepEqual(await older.proberOf('h', Date.now()), prober);
    assert.deepEqual(await older.latestReading('h'), { host: 'h', takenAt: 1, usage: [] });
  } finally {
    await older.close();
  }
});

test("an older version's claim over a dead prober's expired lock leaves a name that names no one", async () => {
  const path = join(dir, 'mixed-versions.db');
  const store = SqliteStore.create(path);
  await store.initialize(1, false, Date.now());
  const now = Date.now();
  const dead = { host: 'box', pid: 7, startTime: '9' };
  assert.equal(await store.claimProbe('h', now - 120_000, 60_000, dead), true); // killed; its lock ran out
  // An older version claims as it always did: the lock's end moves, the name stays.
  const db = new Database(path);
  db.prepare('UPDATE readings SET probe_lock_until = ? WHERE host = ?').run(now + 60_000, 'h');
  db.close();
  try {
    assert.equal(await store.proberOf('h', now), null);
    const waiter = { host: 'box', pid: 8, startTime: '10' };
    assert.equal(await store.claimProbe('h', now, 60_000, waiter, dead), false, 'the live older prober keeps it');
  } finally {
    await store.close();
  }
});

test('opening a store that does not exist means the pool was never initialised', () => {
  assert.throws(() => SqliteStore.open(join(dir, 'missing.db')), PoolNotInitializedError);
});

test('admin makes a directory only its owner writes, whatever the umask, and the store and its kept journal writable by all', async () => {
  const old = process.umask(0o077);
  try {
    const path = join(dir, 'deep', 'er', 'state.db');
    const store = SqliteStore.create(path);
    await store.initialize(2, false, Date.now());
    await store.allocate(request('t'));
    await store.close();
    assert.equal(statSync(join(dir, 'deep')).mode & 0o7777, 0o755);
    assert.equal(statSync(join(dir, 'deep', 'er')).mode & 0o7777, 0o755);
    assert.equal(statSync(path).mode & 0o777, 0o666);
    assert.equal(statSync(journalOf(path)).mode & 0o777, 0o666);
    // The journal is kept between transactions, and no WAL file is ever made: nobody else needs to create a file there.
    assert.deepEqual(readdirSync(join(dir, 'deep', 'er')).sort(), ['state.db', 'state.db-journal']);
  } finally {
    process.umask(old);
  }
});

test('admin never changes the mode of a directory it did not create', async () => {
  const existing = join(dir, 'packaged');
  mkdirSync(existing);
  chmodSync(existing, 0o750);
  await SqliteStore.create(join(existing, 'state.db')).close();
  assert.equal(statSync(existing).mode & 0o7777, 0o750);
});

/** A store set up by admin in a directory of its own. */
async function fresh(name: string): Promise<string> {
  const path = join(dir, name, 'state.db');
  const admin = SqliteStore.create(path);
  await admin.initialize(2, false, Date.now());
  await admin.close();
  return path;
}

const refused = (path: string, why: RegExp) => (e: unknown) =>
  e instanceof StoreUnavailableError &&
  e.message.startsWith(`Refusing the GPU store ${path}: `) &&
  why.test(e.message) &&
  !e.message.includes('\n');

test('a store, journal or WAL file replaced by a link is refused by admin and every command, and the target is untouched', async () => {
  const victim = join(dir, 'victim');
  writeFileSync(victim, 'secret');
  chmodSync(victim, 0o600);
  for (const file of ['', '-journal', '-wal', '-shm']) {
    const path = await fresh(`linked${file}`);
    rmSync(`${path}${file}`, { force: true });
    symlinkSync(victim, `${path}${file}`);
    const why = new RegExp(`${path}${file} is a symbolic link`);
    assert.throws(() => SqliteStore.open(path), refused(path, why), file);
    assert.throws(() => SqliteStore.open(path, { longLived: true }), refused(path, why), file);
    assert.throws(() => SqliteStore.create(path), refused(path, why), file);
    assert.equal(statSync(victim).mode & 0o777, 0o600);
    assert.equal(readFileSync(victim, 'utf8'), 'secret');
  }
});

test('a hard link elsewhere blocks nobody; a directory in place of the store is refused', async () => {
  const linked = await fresh('hardlinked');
  linkSync(journalOf(linked), join(dir, 'hardlinked', 'elsewhere'));
  const store = SqliteStore.open(linked);
  assert.equal((await store.snapshot()).gpuCount, 2);
  await store.close();
  const path = join(dir, 'dir-in-place', 'state.db');
  mkdirSync(path, { recursive: true });
  assert.throws(() => SqliteStore.create(path), refused(path, /is not a regular file/));
});

/** A hot journal whose super-journal record names `target`, as another user could write into the 0666 journal. */
function plantSuperJournal(journal: string, target: string): void {
  const name = Buffer.from(target);
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n >>> 0);
    return b;
  };
  const checksum = name.reduce((sum, byte) => sum + byte, 0);
  const magic = Buffer.from([0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7]);
  const body = Buffer.concat([Buffer.from([1]), Buffer.alloc(511)]);
  writeFileSync(journal, Buffer.concat([body, u32(0x7fffffff), name, u32(name.length), u32(checksum), magic]));
}

test('a journal naming a file for SQLite to delete (a super-journal) is refused, and the file survives', async () => {
  const path = await fresh('super-journal');
  const victim = join(dir, 'super-victim');
  writeFileSync(victim, 'keep me');
  plantSuperJournal(journalOf(path), victim);
  for (const open of [
    () => SqliteStore.open(path),
    () => SqliteStore.open(path, { longLived: true }),
    () => SqliteStore.create(path),
  ]) {
    assert.throws(open, refused(path, /ends with a super-journal record, which canhazgpu never writes/));
  }
  assert.equal(readFileSync(victim, 'utf8'), 'keep me');
  writeFileSync(journalOf(path), ''); // as the message says: truncated by root
  const store = SqliteStore.open(path);
  assert.equal((await store.snapshot()).gpuCount, 2);
  await store.close();
});

test('a store whose directory others may write (not sticky), or whose parent is a link into one, is refused', async () => {
  const path = await fresh('open-dir');
  chmodSync(dirname(path), 0o777); // the layout of older versions: anyone could swap the files
  assert.throws(() => SqliteStore.open(path), refused(path, /open-dir is writable by other users and not sticky/));
  assert.throws(() => SqliteStore.create(path), refused(path, /open-dir is writable by other users and not sticky/));
  const via = join(dir, 'via-link');
  symlinkSync(dirname(path), via);
  assert.throws(() => SqliteStore.open(join(via, 'state.db')), /open-dir is writable by other users and not sticky/);
});

test('files and directories of another user are refused, even by root', {
  skip: process.getuid?.() !== 0 && 'needs root to chown',
}, async () => {
  const path = await fresh('others');
  chownSync(journalOf(path), 65534, 65534);
  assert.throws(
    () => SqliteStore.open(path),
    refused(path, /state\.db-journal belongs to uid 65534, not to root or you/),
  );
  chownSync(journalOf(path), 0, 0);
  chownSync(dirname(path), 65534, 65534);
  assert.throws(
    () => SqliteStore.open(path),
    refused(path, /others belongs to uid 65534, who could swap what it holds/),
  );
  assert.throws(() => SqliteStore.create(path), refused(path, /others belongs to uid 65534/));
});

test('a store in the WAL layout of older versions is refused until admin converts it', async () => {
  const path = join(dir, 'old-wal', 'state.db');
  mkdirSync(dirname(path));
  const old = new Database(path);
  old.pragma('journal_mode = WAL');
  old.close();
  chmodSync(path, 0o666); // as older versions made it: every user wrote it
  const older = (e: unknown) =>
    e instanceof StoreUnavailableError && /an older canhazgpu\)?; run 'canhazgpu admin/.test(e.message);
  assert.throws(() => SqliteStore.open(path), older);
  writeFileSync(journalOf(path), '');
  assert.throws(() => SqliteStore.open(path), older);
  const admin = SqliteStore.create(path);
  await admin.initialize(1, false, Date.now());
  await admin.close();
  const store = SqliteStore.open(path);
  assert.equal((await store.snapshot()).gpuCount, 1);
  await store.close();
});

test('a file that is not a database gives one clear line naming it', async () => {
  const path = join(dir, 'junk.db');
  writeFileSync(path, 'this is not sqlite '.repeat(100));
  writeFileSync(journalOf(path), '');
  await assert.rejects(
    async () => (await SqliteStore.open(path)).snapshot(),
    (e) => e instanceof StoreUnavailableError && e.message.includes(path) && !e.message.includes('\n'),
  );
});

test('a read-only store refuses writes with one clear line naming the path and the fix', {
  skip: process.getuid?.() === 0 && 'root ignores file modes',
}, async () => {
  const path = join(dir, 'readonly.db');
  const store = SqliteStore.create(path);
  await store.initialize(1, false, Date.now());
  await store.close();
  chmodSync(path, 0o444);
  const ro = SqliteStore.open(path);
  await assert.rejects(
    ro.releaseToken('x', Date.now()),
    (e) => e instanceof StoreUnavailableError && e.message.includes('chmod a+rw'),
  );
});

const request = (token: string) => ({
  count: 1,
  user: 'alice',
  type: 'manual' as const,
  now: Date.now(),
  expiryTime: Date.now() + 3_600_000,
  inUse: [],
  token,
  owner: null,
  liveness: defaultLiveness(),
});

/** A pool of `gpus` set up by admin, open as serve and run keep it open. */
async function longLived(name: string, gpus: number): Promise<{ path: string; store: SqliteStore }> {
  const path = join(dir, name);
  const admin = SqliteStore.create(path);
  await admin.initialize(gpus, false, Date.now());
  await admin.close();
  return { path, store: SqliteStore.open(path, { longLived: true }) };
}

test('a long-lived process waits for a held lock without blocking its event loop, then writes', async () => {
  const { path, store } = await longLived('locked.db', 2);
  // Another user's process holds the write lock until this event loop has ticked 5 times: a wait that
  // blocked the loop would never see it released (however fast or loaded the machine).
  const other = new Database(path);
  other.exec('BEGIN IMMEDIATE');
  let ticks = 0;
  const ticker = setInterval(() => ++ticks === 5 && other.exec('COMMIT'), 20);
  try {
    assert.deepEqual(await store.allocate(request('t1')), [0]);
    assert.ok(ticks >= 5, `the event loop ran ${ticks} times while waiting`);
  } finally {
    clearInterval(ticker);
    other.close();
    await store.close();
  }
});

test('a long-lived process follows a store file replaced by a new admin, and says so when it is removed', async () => {
  const { path, store } = await longLived('replaced.db', 2);
  assert.deepEqual(await store.allocate(request('before')), [0]);
  for (const suffix of ['', '-journal']) rmSync(`${path}${suffix}`, { force: true });
  await assert.rejects(
    store.snapshot(),
    (e) => e instanceof StoreUnavailableError && /was removed while in use; run 'canhazgpu admin/.test(e.message),
  );
  const fresh = SqliteStore.create(path);
  await fresh.initialize(4, false, Date.now());
  assert.deepEqual(await fresh.allocate(request('cli')), [0]);
  await fresh.close();
  // The server sees what the CLI sees: 4 GPUs, GPU 0 taken; it never grants GPU 0 again.
  assert.equal((await store.snapshot()).gpuCount, 4);
  assert.deepEqual(await store.allocate(request('after')), [1]);
  await store.close();
});

test('rows edited by hand into nonsense are UNKNOWN and never handed out; a junk pool size is one clear line', async () => {
  const { path, store } = await longLived('edited.db', 3);
  const db = new Database(path);
  try {
    db.prepare("UPDATE gpus SET user = 'y', type = 'manual', start_time = 1, expiry_time = 'abc' WHERE id = 1").run();
    db.prepare("UPDATE gpus SET user = 'z', type = 'run', start_time = 'yesterday' WHERE id = 2").run();
    const { slots } = await store.snapshot();
    assert.deepEqual(
      slots.map((s) => s.problem),
      [undefined, 'gpus row 1: unreadable expiry_time "abc"', 'gpus row 2: unreadable start_time "yesterday"'],
    );
    assert.deepEqual(await store.allocate(request('t')), [0]);
    await assert.rejects(store.allocate(request('u')));
    db.prepare('UPDATE pool SET gpu_count = -3').run();
    await assert.rejects(
      store.snapshot(),
      (e) =>
        e instanceof StoreUnavailableError &&
        /holds "-3" as its pool size, not a number of GPUs \(0 to 1024\)/.test(e.message),
    );
    await store.initialize(2, true, Date.now());
    assert.equal((await store.snapshot()).gpuCount, 2);
  } finally {
    db.close();
    await store.close();
  }
});

test('a store another user truncated to 0 bytes: commands say to set it up again, and admin repairs it with the server up', async () => {
  const { path, store } = await longLived('truncated.db', 2);
  assert.deepEqual(await store.allocate(request('before')), [0]);
  truncateSync(path, 0);
  await assert.rejects(store.snapshot(), PoolNotInitializedError);
  await assert.rejects(SqliteStore.open(path).snapshot(), PoolNotInitializedError);
  const admin = SqliteStore.create(path);
  assert.deepEqual(await admin.initialize(3, false, Date.now()), { previousCount: null }); // no --force needed
  await admin.close();
  assert.equal((await store.snapshot()).gpuCount, 3);
  await store.close();
});

test('a command killed in the middle of a write leaves a journal that the next one rolls back and keeps', async () => {
  const path = await fresh('killed-writer');
  const writer = `const Database = require('better-sqlite3'); const db = new Database(${JSON.stringify(path)});
    db.pragma('journal_mode = PERSIST'); db.exec('BEGIN IMMEDIATE');
    db.exec("UPDATE gpus SET user = 'ghost', type = 'manual', start_time = 1, expiry_time = 9e15 WHERE id = 0");
    process.kill(process.pid, 'SIGKILL');`;
  const child = spawnSync(process.execPath, ['-e', writer], { cwd: process.cwd() });
  assert.equal(child.signal, 'SIGKILL');
  assert.ok(statSync(journalOf(path)).size > 0, 'the killed write left a hot journal');
  const store = SqliteStore.open(path);
  assert.ok((await store.snapshot()).slots.every((s) => s.reservation === null));
  assert.deepEqual(await store.allocate(request('after')), [0]);
  await store.close();
  const header = readFileSync(journalOf(path)).subarray(0, 28);
  assert.ok(
    header.every((b) => b === 0),
    'kept, its header zeroed by the next commit: not hot',
  );
  assert.ok((await SqliteStore.open(path).snapshot()).slots[0]!.reservation, 'and the write after the rollback stands');
});

test('a private store is refused in a directory others may write, sticky or not (its socket and WAL are made there)', () => {
  const sticky = join(dir, 'sticky');
  mkdirSync(sticky);
  chmodSync(sticky, 0o1777); // as /tmp: another user could make state.db.sock or state.db-wal there first
  const path = join(sticky, 'private.db');
  const refused = (e: unknown) => e instanceof StoreUnavailableError && /writable by other users/.test(e.message);
  assert.throws(() => SqliteStore.create(path, { private: true }), refused);
  assert.equal(existsSync(path), false, 'nothing was made');
  chmodSync(sticky, 0o755);
  SqliteStore.create(path, { private: true }).close();
  chmodSync(sticky, 0o1777);
  assert.throws(() => SqliteStore.open(path), refused);
  if (process.getuid?.() === 0) {
    chownSync(path, 65534, 65534); // another user's private store: their commands would go to its agent
    assert.throws(() => keptByAgent(path, `${path}.sock`), refused);
  }
});

test("another process's commit between two waits on the queue is heard by the second at once (the agent's watcher)", async () => {
  const path = join(dir, `waits-${++n}.db`);
  const store = SqliteStore.create(path);
  await store.initialize(2, false, Date.now());
  const other = SqliteStore.open(path);
  try {
    await store.queue.changed(1); // a wait ends: its caller writes the status board, say
    const request = { count: 1, user: 'bob', type: 'run' as const, now: Date.now(), expiryTime: null, inUse: [] };
    await other.allocate({ ...request, token: 'meanwhile', owner: null, liveness: defaultLiveness() });
    const started = Date.now();
    await store.queue.changed(5_000);
    const waited = Date.now() - started;
    assert.ok(waited < 100, `heard ${waited} ms into the next wait`);
    // Heard once: the wait after it waits its time.
    const quiet = Date.now();
    await store.queue.changed(60);
    assert.ok(Date.now() - quiet >= 55);
  } finally {
    await other.close();
    await store.close();
  }
});

test("the connection's own commits are not heard as another process's: whoever made them told of them", async () => {
  const path = join(dir, `own-${++n}.db`);
  const store = SqliteStore.create(path);
  await store.initialize(2, false, Date.now());
  try {
    assert.equal(await store.queue.changed(1), false);
    const request = { count: 1, user: 'bob', type: 'run' as const, now: Date.now(), expiryTime: null, inUse: [] };
    await store.allocate({ ...request, token: 'mine', owner: null, liveness: defaultLiveness() });
    const started = Date.now();
    assert.equal(await store.queue.changed(60), false);
    assert.ok(Date.now() - started >= 55, 'it waited its time');
  } finally {
    await store.close();
  }
});
