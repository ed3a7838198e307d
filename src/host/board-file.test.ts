import assert from 'node:assert/strict';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { accessLike, readBoardFile, removeBoardFile, writeBoardFile } from './board-file.js';

const ALL = { mode: 0o644, gid: process.getgid?.() ?? 0 };

const base = mkdtempSync(join(tmpdir(), 'canhazgpu-board-'));
after(() => rmSync(base, { recursive: true, force: true }));
let n = 0;
/** A directory of its own, 0755 like the store's. */
function dir(): string {
  const d = join(base, `d${++n}`);
  mkdirSync(d, { mode: 0o755 });
  chmodSync(d, 0o755);
  return d;
}
const isRoot = process.getuid?.() === 0;

test('a board is written whole, readable by all, and replaced in one step', () => {
  const path = join(dir(), 'state.db.status.json');
  const umask = process.umask(0o077);
  try {
    writeBoardFile(path, '{"a":1}', ALL);
  } finally {
    process.umask(umask);
  }
  assert.equal(statSync(path).mode & 0o777, 0o644, 'whatever the umask');
  assert.deepEqual(readBoardFile(path), { kind: 'text', text: '{"a":1}' });
  writeBoardFile(path, '{"a":2}', ALL);
  assert.deepEqual(readBoardFile(path), { kind: 'text', text: '{"a":2}' });
  assert.equal(existsSync(`${path}.${process.pid}.tmp`), false, 'no file of the writing left');
  removeBoardFile(path);
  assert.deepEqual(readBoardFile(path), { kind: 'none' });
  removeBoardFile(path); // gone already: nothing to say
});

test('a file left by a killed writer of the same pid is replaced, never followed', () => {
  const d = dir();
  const path = join(d, 'b.status.json');
  const victim = join(d, 'victim');
  writeFileSync(victim, 'keep');
  symlinkSync(victim, `${path}.${process.pid}.tmp`);
  writeBoardFile(path, 'board', ALL);
  assert.deepEqual(readBoardFile(path), { kind: 'text', text: 'board' });
  assert.equal(existsSync(victim) && statSync(victim).size, 4, 'the link’s target untouched');
});

test('a board nobody but root or the reader could have written is read; any other is refused with why', () => {
  const d = dir();
  const path = join(d, 'b.status.json');
  writeBoardFile(path, 'x', ALL);
  // A link in the board's place: not followed.
  const linked = join(d, 'linked.status.json');
  symlinkSync(path, linked);
  assert.equal(readBoardFile(linked).kind, 'untrusted');
  // Writable by others: anyone could have written it.
  chmodSync(path, 0o666);
  assert.deepEqual(readBoardFile(path), { kind: 'untrusted', why: `${path} is writable by other users` });
  chmodSync(path, 0o644);
  // A directory others may write (even sticky): someone else could have put the board there first.
  chmodSync(d, 0o1777);
  assert.deepEqual(readBoardFile(path), { kind: 'untrusted', why: `${d} is writable by other users` });
  chmodSync(d, 0o755);
  // Not a plain file.
  const fifoLike = join(d, 'dir.status.json');
  mkdirSync(fifoLike);
  assert.deepEqual(readBoardFile(fifoLike), { kind: 'untrusted', why: `${fifoLike} is not a regular file` });
  assert.deepEqual(readBoardFile(path), { kind: 'text', text: 'x' });
});

test('as root, a board another user owns is refused: they could have written anything', {
  skip: !isRoot && 'needs root',
}, () => {
  const path = join(dir(), 'b.status.json');
  writeBoardFile(path, 'x', ALL);
  chownSync(path, 65534, 65534);
  assert.deepEqual(readBoardFile(path), { kind: 'untrusted', why: `${path} belongs to uid 65534` });
});

test('a board is readable by those who may read the shared store, or connect to the socket, in its group', () => {
  const d = dir();
  const reference = join(d, 'reference');
  writeFileSync(reference, '');
  const path = join(d, 'b.status.json');
  const modeAfter = (via: 'read' | 'connect', mode: number) => {
    chmodSync(reference, mode);
    writeBoardFile(path, 'x', accessLike(reference, via));
    return statSync(path).mode & 0o777;
  };
  assert.equal(modeAfter('read', 0o666), 0o644, 'a shared store every user writes');
  assert.equal(modeAfter('read', 0o660), 0o640, 'a store closed to all but its group (README)');
  assert.equal(modeAfter('read', 0o600), 0o600);
  assert.equal(modeAfter('connect', 0o666), 0o644, 'a socket every user may connect to');
  assert.equal(modeAfter('connect', 0o660), 0o640);
  assert.equal(modeAfter('connect', 0o644), 0o600, 'reading a socket is not connecting to it');
});

test('as root, the board takes the group of the file it follows', { skip: !isRoot && 'needs root' }, () => {
  const d = dir();
  const reference = join(d, 'reference');
  writeFileSync(reference, '');
  chownSync(reference, 0, 65534);
  chmodSync(reference, 0o660);
  const path = join(d, 'b.status.json');
  writeBoardFile(path, 'x', accessLike(reference, 'read'));
  assert.deepEqual([statSync(path).gid, statSync(path).mode & 0o777], [65534, 0o640]);
});
