// Files that root and every user open on a shared machine must not be swappable by someone else: a
// user who can rename an entry can put a symbolic link there, and whoever opens it next writes the
// link's target. A path is trusted when nobody but root and the caller can change any entry on it.
import {
  closeSync,
  constants,
  type Stats,
  fchmodSync,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  realpathSync,
  statSync,
} from 'node:fs';
import { dirname, join, parse, resolve, sep } from 'node:path';

export const currentUid = (): number => process.getuid?.() ?? -1;

const trustedOwner = (uid: number, me: number) => uid === 0 || uid === me;

/** Why `dir` could be changed under us by another user, walking every directory on the way, or null. */
function untrustedChain(dir: string, me: number): string | null {
  const { root } = parse(dir);
  const parts = dir.slice(root.length).split(sep).filter(Boolean);
  let current = root;
  for (const part of ['', ...parts]) {
    current = part === '' ? current : join(current, part);
    const st = lstatSync(current);
    if (!trustedOwner(st.uid, me)) return `${current} belongs to uid ${st.uid}, who could swap what it holds`;
    // A link itself has no meaningful mode; its target is checked through the real path.
    if (st.isSymbolicLink()) continue;
    const writableByOthers = (st.mode & 0o022) !== 0;
    if (writableByOthers && (st.mode & 0o1000) === 0) {
      return `${current} is writable by other users and not sticky, so they could swap what it holds`;
    }
  }
  return null;
}

/**
 * Why the directory `dir` is not safe to keep shared files in, or null: it, every directory above it,
 * and every link on the way belong to root or the caller, and none is writable by others unless sticky.
 * Both the path as given and its real path are checked, so a trusted link leads only to trusted places.
 */
export function untrustedDirectory(dir: string, me = currentUid()): string | null {
  const given = resolve(dir);
  return untrustedChain(given, me) ?? untrustedChain(realpathSync.native(given), me);
}

/**
 * Why `dir` may not hold a file that speaks for root or the caller (an agent's socket, its status board), or null:
 * only they may write it (not even sticky, where another user could put such a file first), and it is trusted.
 */
export function untrustedOwnDirectory(dir: string, me = currentUid()): string | null {
  try {
    if ((statSync(dir).mode & 0o022) !== 0) return `${dir} is writable by other users`;
    return untrustedDirectory(dir, me);
  } catch (err) {
    return `${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
  }
}

export type FileProblem = { kind: 'missing' } | { kind: 'unsafe'; reason: string };

/** Why `path` is not a plain file owned by root or the caller (a link, a directory, a device), or null. */
export function fileProblem(path: string, me = currentUid()): FileProblem | null {
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    throw err;
  }
  if (st.isSymbolicLink()) return { kind: 'unsafe', reason: `${path} is a symbolic link` };
  if (!st.isFile()) return { kind: 'unsafe', reason: `${path} is not a regular file` };
  if (!trustedOwner(st.uid, me))
    return { kind: 'unsafe', reason: `${path} belongs to uid ${st.uid}, not to root or you` };
  // A hard link elsewhere does not change what this path names (its directory is checked to be ours), so
  // it is no reason to refuse: a user who may link the 0666 store somewhere would otherwise block everyone.
  return null;
}

/** Creates `path` (never following a link, never opening one that exists) with exactly `mode`. */
export function createFileExclusively(path: string, mode: number): void {
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
  try {
    fchmodSync(fd, mode); // the umask cut the mode open() gave
  } finally {
    closeSync(fd);
  }
}

/**
 * Creates the missing directories down to `dir` (each with `modeFor(path)` exactly, whatever the
 * umask) and returns them. Modes are set through a descriptor of the directory just made, checked to
 * be ours, so nothing another user put in its place has its mode changed.
 */
export function createMissingDirectories(dir: string, modeFor: (path: string) => number): string[] {
  const missing: string[] = [];
  for (let d = resolve(dir); !exists(d); d = dirname(d)) missing.unshift(d);
  for (const d of missing) {
    mkdirSync(d, 0o700);
    const fd = openSync(d, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
    try {
      if (fstatSync(fd).uid !== currentUid()) throw new Error(`${d} was replaced while being created`);
      fchmodSync(fd, modeFor(d));
    } finally {
      closeSync(fd);
    }
  }
  return missing;
}

/** The entry itself (a link is not followed), or null when there is none. */
export function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}

const exists = (path: string) => lstatOrNull(path) !== null;
