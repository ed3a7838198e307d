// An accounts file made before users could be disabled, locked out or have their tokens revoked.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type Database from 'better-sqlite3';
import { SqliteRecords } from './sqlite-records.js';

const Driver = createRequire(import.meta.url)('better-sqlite3') as typeof Database;
const dir = mkdtempSync(join(tmpdir(), 'canhazgpu-migrate-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The users table as the first release made it. */
function oldFile(path: string): void {
  const db = new Driver(path);
  db.pragma('journal_mode = WAL');
  db.exec(`CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
    is_admin INTEGER NOT NULL DEFAULT 0, password_hash TEXT, created_at INTEGER NOT NULL)`);
  db.prepare('INSERT INTO users VALUES (?, ?, ?, 0, NULL, 1)').run('u1', 'old@example.com', 'old');
  db.close();
  chmodSync(path, 0o600); // as the first release left it
}

const columns = (path: string) => {
  const db = new Driver(path, { readonly: true });
  try {
    return (db.pragma('table_info(users)') as Array<{ name: string }>).map((c) => c.name);
  } finally {
    db.close();
  }
};

test('an old file is read as it is by reading commands, and gains the new columns when opened to write', async () => {
  const path = join(dir, 'old.db');
  oldFile(path);
  const modified = statSync(path).mtimeMs;
  const reader = SqliteRecords.open(path, { mode: 'read' });
  const [listed] = await reader.listUsers();
  reader.close();
  const { email, disabledAt, tokenGeneration, lockedUntil } = listed!;
  assert.deepEqual([email, disabledAt, tokenGeneration, lockedUntil], ['old@example.com', null, 0, null]);
  assert.ok(!columns(path).includes('token_generation'));
  assert.equal(statSync(path).mtimeMs, modified);

  const accounts = SqliteRecords.open(path, { mode: 'existing' });
  try {
    const added = ['disabled_at', 'deleted_at', 'token_generation', 'failed_logins', 'locked_until'];
    assert.deepEqual(
      added.filter((c) => !columns(path).includes(c)),
      [],
    );
    await accounts.revokeTokens('u1');
    assert.equal((await accounts.userByEmail('old@example.com'))!.tokenGeneration, 1);
  } finally {
    accounts.close();
  }
  // Opened again: nothing left to add.
  SqliteRecords.open(path).close();
});
