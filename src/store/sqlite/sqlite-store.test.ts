import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { PoolNotInitializedError, StoreUnavailableError } from '../../domain/errors.js';
import { runStoreContract } from '../contract.case.test.js';
import { SqliteStore } from './sqlite-store.js';
import { defaultLiveness } from '../../domain/liveness.js';

const dir = mkdtempSync(join(tmpdir(), 'canhazgpu-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

runStoreContract('sqlite', { open: async () => SqliteStore.create(join(dir, `contract-${++n}.db`)) });
runStoreContract('sqlite, long-lived (serve, run)', {
  open: async () => {
    const path = join(dir, `contract-${++n}.db`);
    await SqliteStore.create(path).close();
    return SqliteStore.open(path, { longLived: true });
  },
});

test('opening a store that does not exist means the pool was never initialised', () => {
  assert.throws(() => SqliteStore.open(join(dir, 'missing.db')), PoolNotInitializedError);
});

test('admin creates the directory and files writable by every user, in WAL mode', async () => {
  const path = join(dir, 'nested', 'state.db');
  const store = SqliteStore.create(path);
  await store.initialize(2, false, Date.now());
  assert.equal(statSync(join(dir, 'nested')).mode & 0o777, 0o777);
  assert.equal(statSync(path).mode & 0o666, 0o666);
  assert.equal(statSync(`${path}-wal`).mode & 0o666, 0o666);
  await store.close();
});

test('admin opens up a directory that already existed without room for other users\' WAL files', async () => {
  const existing = join(dir, 'packaged');
  mkdirSync(existing, { mode: 0o755 });
  chmodSync(existing, 0o755);
  const store = SqliteStore.create(join(existing, 'state.db'));
  await store.close();
  assert.equal(statSync(existing).mode & 0o777, 0o777);
});

test('admin never opens up a directory that holds other files (a mistyped --store under /var/lib or a home)', () => {
  const home = join(dir, 'home-like');
  mkdirSync(home);
  chmodSync(home, 0o755);
  writeFileSync(join(home, '.bashrc'), 'x');
  assert.throws(() => SqliteStore.create(join(home, 'state.db')), (e) =>
    e instanceof StoreUnavailableError && e.message.startsWith(`${home} holds other files and is not writable by every user`));
  assert.equal(statSync(home).mode & 0o777, 0o755);
});

test('admin makes missing parents reachable by every user whatever the umask, and the store directory writable', async () => {
  const old = process.umask(0o077);
  try {
    const path = join(dir, 'deep', 'er', 'state.db');
    const store = SqliteStore.create(path);
    await store.close();
    assert.equal(statSync(join(dir, 'deep')).mode & 0o777, 0o755);
    assert.equal(statSync(join(dir, 'deep', 'er')).mode & 0o777, 0o777);
  } finally {
    process.umask(old);
  }
});

test('a file that is not a database gives one clear line naming it', async () => {
  const path = join(dir, 'junk.db');
  writeFileSync(path, 'this is not sqlite '.repeat(100));
  await assert.rejects(async () => (await SqliteStore.open(path)).snapshot(), (e) =>
    e instanceof StoreUnavailableError && e.message.includes(path) && !e.message.includes('\n'));
});

test('a read-only store refuses writes with one clear line naming the path and the fix', { skip: process.getuid?.() === 0 && 'root ignores file modes' }, async () => {
  const path = join(dir, 'readonly.db');
  const store = SqliteStore.create(path);
  await store.initialize(1, false, Date.now());
  await store.close();
  chmodSync(path, 0o444);
  const ro = SqliteStore.open(path);
  await assert.rejects(ro.releaseToken('x', Date.now()), (e) => e instanceof StoreUnavailableError && e.message.includes('chmod a+rw'));
});

const request = (token: string) => ({
  count: 1, user: 'alice', type: 'manual' as const, now: Date.now(), expiryTime: Date.now() + 3_600_000, inUse: [], token, owner: null,
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
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
  await assert.rejects(store.snapshot(), (e) => e instanceof StoreUnavailableError && /was removed while in use; run 'canhazgpu admin/.test(e.message));
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
    assert.deepEqual(slots.map((s) => s.problem), [undefined, 'gpus row 1: unreadable expiry_time "abc"', 'gpus row 2: unreadable start_time "yesterday"']);
    assert.deepEqual(await store.allocate(request('t')), [0]);
    await assert.rejects(store.allocate(request('u')));
    db.prepare('UPDATE pool SET gpu_count = -3').run();
    await assert.rejects(store.snapshot(), (e) => e instanceof StoreUnavailableError && /holds "-3" as its pool size, not a number of GPUs \(0 to 1024\)/.test(e.message));
    await store.initialize(2, true, Date.now());
    assert.equal((await store.snapshot()).gpuCount, 2);
  } finally {
    db.close();
    await store.close();
  }
});
