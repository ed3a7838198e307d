import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { StoreUnavailableError } from '../../../domain/errors.js';
import { NoAccountsError, prepareAccountsFile } from './accounts-file.js';

const root = mkdtempSync(join(tmpdir(), 'canhazgpu-accounts-file-'));
after(() => rmSync(root, { recursive: true, force: true }));

const refused = (why: RegExp) => (e: unknown) =>
  e instanceof StoreUnavailableError &&
  e.message.startsWith("Refusing the server's accounts at ") &&
  why.test(e.message);

test('made on first use: a directory only the server user may enter (0700) and a file only it may read (0600)', () => {
  const old = process.umask(0);
  try {
    const path = join(root, 'made', 'server.db');
    prepareAccountsFile(path, true);
    assert.equal(statSync(join(root, 'made')).mode & 0o7777, 0o700);
    assert.equal(statSync(path).mode & 0o7777, 0o600);
    prepareAccountsFile(path, false); // and accepted as it is
  } finally {
    process.umask(old);
  }
});

test('a reading command creates nothing where there are no accounts yet', () => {
  const path = join(root, 'absent', 'server.db');
  assert.throws(() => prepareAccountsFile(path, false), NoAccountsError);
  assert.throws(() => statSync(join(root, 'absent')));
});

test('a link, a file others may read, or a directory others may write is refused and left as it was', () => {
  const dir = join(root, 'shared');
  mkdirSync(dir, { mode: 0o700 });
  const victim = join(root, 'victim.db');
  writeFileSync(victim, '');
  chmodSync(victim, 0o600);
  symlinkSync(victim, join(dir, 'server.db'));
  assert.throws(() => prepareAccountsFile(join(dir, 'server.db'), true), refused(/server\.db is a symbolic link/));

  mkdirSync(join(dir, 'as-dir.db'));
  assert.throws(() => prepareAccountsFile(join(dir, 'as-dir.db'), true), refused(/as-dir\.db is not a regular file/));

  const loose = join(root, 'loose');
  mkdirSync(loose, { mode: 0o700 });
  writeFileSync(join(loose, 'server.db'), '', { mode: 0o644 });
  chmodSync(join(loose, 'server.db'), 0o644);
  assert.throws(
    () => prepareAccountsFile(join(loose, 'server.db'), true),
    refused(/other users may read or write it \(mode 644\)/),
  );
  assert.equal(statSync(join(loose, 'server.db')).mode & 0o777, 0o644); // never chmod-ed behind the admin's back

  const open = join(root, 'open');
  mkdirSync(open);
  chmodSync(open, 0o1777);
  assert.throws(() => prepareAccountsFile(join(open, 'server.db'), true), refused(/open is writable by other users/));
  assert.equal(statSync(open).mode & 0o7777, 0o1777);
});

test("another user's directory or file is refused", { skip: process.getuid?.() !== 0 && 'needs root to chown' }, () => {
  const dir = join(root, 'theirs');
  mkdirSync(dir, { mode: 0o700 });
  prepareAccountsFile(join(dir, 'server.db'), true);
  chownSync(join(dir, 'server.db'), 65534, 65534);
  assert.throws(() => prepareAccountsFile(join(dir, 'server.db'), false), refused(/server\.db belongs to uid 65534/));
  chownSync(dir, 65534, 65534);
  assert.throws(() => prepareAccountsFile(join(dir, 'server.db'), false), refused(/theirs belongs to uid 65534/));
});
