import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { PoolNotInitializedError, StoreUnavailableError } from '../../domain/errors.js';
import { runStoreContract } from '../contract.case.test.js';
import { SqliteStore } from './sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'canhazgpu-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

runStoreContract('sqlite', { open: async () => SqliteStore.create(join(dir, `contract-${++n}.db`)) });

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
