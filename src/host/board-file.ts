// The status board's file (domain/status-board.ts): written by the agent beside the store or its socket, read by
// every user's `status`. Written whole under a name of its own and renamed over the board, so a reader finds one
// board or the next, never half of one; read only when nobody but root or the reader could have written it.
import {
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  fstatSync,
  lstatSync,
  openSync,
  readSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { currentUid, untrustedOwnDirectory } from './trusted-path.js';

/** Far above any pool's board (16 GPUs with notes and processes take a few KB): a larger file is no board. */
const MAX_BOARD_BYTES = 4 * 1024 * 1024;

/** Who may read a board: its mode (read bits alone besides the owner's) and group. */
export interface BoardAccess {
  mode: number;
  gid: number;
}

/**
 * A board readable by exactly those who could read the pool without it: those who may read the store file (a
 * shared SQLite store, `via: 'read'`), or connect to the agent's socket (`via: 'connect'`), in that file's group.
 */
export function accessLike(path: string, via: 'read' | 'connect'): BoardAccess {
  const st = lstatSync(path);
  const readers = via === 'read' ? st.mode & 0o044 : (st.mode & 0o022) << 1;
  return { mode: 0o600 | readers, gid: st.gid };
}

/** Replaces the board at `path` with `text` in one step, readable as `access` says. */
export function writeBoardFile(path: string, text: string, access: BoardAccess): void {
  const temporary = `${path}.${process.pid}.tmp`;
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  let fd: number;
  try {
    fd = openSync(temporary, flags, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    unlinkSync(temporary); // left by a killed agent of the same pid: never ours to follow
    fd = openSync(temporary, flags, 0o600);
  }
  try {
    try {
      let { mode } = access;
      if (fstatSync(fd).gid !== access.gid) {
        try {
          fchownSync(fd, -1, access.gid);
        } catch {
          // A group we may not give it: others may read it only if the group may too (a group kept out stays out).
          mode = (mode & 0o044) === 0o044 ? mode : mode & ~0o044;
        }
      }
      fchmodSync(fd, mode); // set in full, whatever the umask cut
      writeSync(fd, text);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
  } catch (err) {
    removeQuietly(temporary);
    throw err;
  }
}

/** Takes the board away (the agent stops): readers find none and ask the store. */
export function removeBoardFile(path: string): void {
  removeQuietly(path);
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // gone already, or never made
  }
}

export type BoardFileRead = { kind: 'none' } | { kind: 'text'; text: string } | { kind: 'untrusted'; why: string };

/**
 * The board at `path` when only root or the reader could have written it: a plain file of theirs, written by
 * nobody else, in a directory whose entries nobody else can swap. Opened without following a link.
 */
export function readBoardFile(path: string, me = currentUid()): BoardFileRead {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'ENOTDIR') return { kind: 'none' };
    return { kind: 'untrusted', why: `${path}: ${code ?? (err as Error).message}` };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { kind: 'untrusted', why: `${path} is not a regular file` };
    if (st.uid !== 0 && st.uid !== me) return { kind: 'untrusted', why: `${path} belongs to uid ${st.uid}` };
    if ((st.mode & 0o022) !== 0) return { kind: 'untrusted', why: `${path} is writable by other users` };
    if (st.size > MAX_BOARD_BYTES) return { kind: 'untrusted', why: `${path} is too large for a status board` };
    const why = untrustedOwnDirectory(dirname(path), me);
    if (why) return { kind: 'untrusted', why };
    const buffer = Buffer.alloc(st.size);
    let read = 0;
    while (read < st.size) {
      const n = readSync(fd, buffer, read, st.size - read, read);
      if (n === 0) break;
      read += n;
    }
    return { kind: 'text', text: buffer.toString('utf8', 0, read) };
  } finally {
    closeSync(fd);
  }
}
