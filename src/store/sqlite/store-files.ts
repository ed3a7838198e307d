// The embedded store's files on a shared machine, in one of two layouts, both in a directory only root or
// the store's owner may write (0755):
// - shared (the default): the database and its rollback journal, both made by `admin` (mode 0666). SQLite
//   keeps the journal (journal_mode=PERSIST), so no command ever creates a file there, and no other user
//   can rename, remove or replace either file with a link to someone else's.
// - private (`admin --private`): the database is its owner's alone (0600, WAL); other users' commands reach
//   it through `canhazgpu agent` (src/store/agent/), so nobody else can write a byte of it or its journal.
import { closeSync, constants, fstatSync, openSync, readSync, realpathSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { PoolNotInitializedError, StoreUnavailableError } from '../../domain/errors.js';
import { networkFilesystem } from '../../host/filesystem.js';
import { DEFAULT_STORE } from '../defaults.js';
import {
  createFileExclusively,
  createMissingDirectories,
  currentUid,
  fileProblem,
  lstatOrNull,
  untrustedDirectory,
} from '../../host/trusted-path.js';

export const journalOf = (path: string) => `${path}-journal`;
/** WAL files of a store made before the journal was kept; checked like the others while they exist. */
const leftoverWalFiles = (path: string) => [`${path}-wal`, `${path}-shm`];

const STORE_DIR_MODE = 0o755;
const STORE_FILE_MODE = 0o666;
const PRIVATE_FILE_MODE = 0o600;

export type StoreLayout = 'shared' | 'private';

/** A database only its owner may write is private; one every user may write is shared. */
export const layoutOfMode = (mode: number): StoreLayout => ((mode & 0o022) === 0 ? 'private' : 'shared');

const refuse = (path: string, reason: string) =>
  new StoreUnavailableError(
    `Refusing the GPU store ${path}: ${reason}. Another user could point it at your files: the store, its journal and the directories above them must belong to root (or you) and be writable by nobody else.`,
  );

/** Runs the checks, turning a directory this user may not enter into one line with the fix. */
function reachable<T>(path: string, missing: () => Error, check: () => T): T {
  try {
    return check();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === undefined) throw err;
    if (code === 'ENOENT') throw missing();
    throw new StoreUnavailableError(
      `Cannot open the GPU store ${path} (${(err as Error).message}). Make its directory reachable by every user (chmod a+rx ${dirname(path)}), or choose another store with --store.`,
    );
  }
}

function checkDirectory(path: string): void {
  const problem = untrustedDirectory(dirname(path));
  if (problem) throw refuse(path, problem);
}

/**
 * A private store's own directory must be writable by its owner alone, sticky or not: its agent makes the
 * socket there, and SQLite the WAL and its index, which another user could otherwise make first (in /tmp, say).
 */
function checkPrivateDirectory(path: string): void {
  const dir = realpathSync.native(dirname(path));
  if ((statSync(dir).mode & 0o022) !== 0) {
    throw refuse(
      path,
      `${dir} is writable by other users, and a private store's socket and WAL files are made there: put it in a directory only its owner may write (e.g. ${dirname(DEFAULT_STORE)})`,
    );
  }
}

/**
 * For every command before SQLite opens the store: refuses links, others' files, an unsafe directory;
 * returns the store's layout.
 */
export function checkStoreFiles(path: string): StoreLayout {
  return reachable(
    path,
    () => new PoolNotInitializedError(),
    () => checkFiles(path),
  );
}

function checkFiles(path: string): StoreLayout {
  checkDirectory(path);
  const db = fileProblem(path);
  if (db?.kind === 'missing') throw new PoolNotInitializedError();
  if (db) throw refuse(path, db.reason);
  checkCompanions(path);
  const layout = layoutOfMode(lstatOrNull(path)?.mode ?? STORE_FILE_MODE);
  if (layout === 'private') {
    checkPrivateDirectory(path);
    return layout; // WAL, its files made by the owner alone
  }
  if (inWalMode(path)) {
    throw new StoreUnavailableError(
      `The GPU store ${path} is in the WAL layout of an older canhazgpu; run 'canhazgpu admin --gpus <count>' as root to convert it.`,
    );
  }
  if (fileProblem(journalOf(path))?.kind === 'missing') restoreJournal(path);
  return layout;
}

/**
 * A journal removed by hand (a plain `sqlite3` session deletes it after each write) is made again by
 * whoever may create files there, root or the store's owner; anyone else is told who can.
 */
function restoreJournal(path: string): void {
  try {
    createFileExclusively(journalOf(path), STORE_FILE_MODE);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return; // another command just made it
    throw new StoreUnavailableError(
      `The GPU store ${path} has no journal file ${journalOf(path)}, which only root or the owner of ${dirname(path)} may create; run 'canhazgpu status' or 'canhazgpu admin --gpus <count>' as root.`,
    );
  }
}

/**
 * For `admin`: creates what is missing (parents 0755 whatever the umask; the files 0666 so every user
 * may write them, or the database alone 0600 when `wanted` is private) and checks what exists, never
 * opening up or changing the mode of anything it found. Returns the layout, which an existing store keeps.
 */
export function prepareStoreFiles(path: string, wanted: StoreLayout = 'shared'): StoreLayout {
  const dir = dirname(path);
  const network = lstatOrNull(dir) ? networkFilesystem(dir) : null;
  if (network) {
    throw new StoreUnavailableError(
      `${dir} is on ${network}, a network filesystem, where SQLite's locks do not hold: put the store on a local disk (e.g. --store ${DEFAULT_STORE}).`,
    );
  }
  try {
    createMissingDirectories(dir, () => STORE_DIR_MODE);
  } catch (err) {
    throw new StoreUnavailableError(
      `Cannot create ${dir} for the GPU store (${(err as Error).message}). Run admin as root, or choose another store with --store.`,
    );
  }
  const gone = () => new StoreUnavailableError(`${dir} disappeared while the store was being set up`);
  reachable(path, gone, () => checkDirectory(path));
  const existing = lstatOrNull(path);
  const layout = existing ? layoutOfMode(existing.mode) : wanted;
  if (existing && layout !== wanted && wanted === 'private') {
    throw new StoreUnavailableError(
      `The GPU store ${path} is shared (every user may write it); a private store starts empty: move it aside (mv ${path} ${path}.shared; rm -f ${journalOf(path)}) and run admin --private again.`,
    );
  }
  if (layout === 'private') reachable(path, gone, () => checkPrivateDirectory(path));
  const files = layout === 'private' ? [path] : [path, journalOf(path)];
  for (const file of files) {
    const problem = fileProblem(file);
    if (problem?.kind === 'unsafe') throw refuse(path, problem.reason);
    if (problem?.kind !== 'missing') continue;
    try {
      createFileExclusively(file, layout === 'private' ? PRIVATE_FILE_MODE : STORE_FILE_MODE);
    } catch (err) {
      throw new StoreUnavailableError(
        `Cannot create ${file} (${(err as Error).message}). Run admin as root or as the owner of ${dir}, or choose another store with --store.`,
      );
    }
  }
  checkCompanions(path);
  return layout;
}

/** The journal and any WAL files left: plain files of root or the caller, and no planted super-journal. */
function checkCompanions(path: string): void {
  for (const file of [journalOf(path), ...leftoverWalFiles(path)]) {
    const problem = fileProblem(file);
    if (problem?.kind === 'unsafe') throw refuse(path, problem.reason);
  }
  const planted = superJournalPointer(journalOf(path));
  if (planted) throw refuse(path, planted);
}

/** The magic that ends a rollback journal's super-journal record (SQLite's pager.c, aJournalMagic). */
const JOURNAL_MAGIC = Buffer.from([0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7]);

/**
 * A journal that names a super-journal, or null. SQLite deletes the file a hot journal names there when
 * it rolls the journal back; canhazgpu never writes one (no multi-database transactions), so such a
 * record was written by hand, by someone who wants the next command to delete a file of its user's.
 * Another user may still rewrite the journal between this check and SQLite's read: see the README.
 */
function superJournalPointer(journal: string): string | null {
  let fd: number;
  try {
    fd = openSync(journal, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return null; // missing: checked elsewhere
  }
  try {
    const size = fstatSync(fd).size;
    const tail = Buffer.alloc(8);
    if (size < 16 || readSync(fd, tail, 0, 8, size - 8) !== 8 || !tail.equals(JOURNAL_MAGIC)) return null;
    return `${journal} ends with a super-journal record, which canhazgpu never writes: someone wrote it by hand to make SQLite delete the file it names; truncate it as root (: > ${journal}) and find out who`;
  } finally {
    closeSync(fd);
  }
}

/** Whether the database header says WAL (bytes 18 and 19 are 2), read without following a link. */
function inWalMode(path: string): boolean {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const header = Buffer.alloc(20);
    return readSync(fd, header, 0, 20, 0) === 20 && header[18] === 2 && header[19] === 2;
  } finally {
    closeSync(fd);
  }
}

/** The file's identity, to notice when a long-lived process's store is removed or replaced; never follows a link. */
export function fileIdentity(path: string): { dev: number; ino: number } | null {
  const st = lstatOrNull(path);
  return st && { dev: st.dev, ino: st.ino };
}

export const fileOwner = (path: string): number | null => lstatOrNull(path)?.uid ?? null;

/**
 * Whether `path` is a private store of another user, which its agent keeps for us (over `socket`). Its
 * directory must be in the hands of root or that owner, so nobody else can have put a socket there.
 */
export function keptByAgent(path: string, socket: string): boolean {
  const st = lstatOrNull(path);
  if (!st?.isFile() || layoutOfMode(st.mode) !== 'private' || st.uid === currentUid()) return false;
  const problem = reachable(
    path,
    () => new PoolNotInitializedError(),
    () => untrustedDirectory(dirname(path), st.uid),
  );
  if (problem) throw refuse(path, problem);
  reachable(
    path,
    () => new PoolNotInitializedError(),
    () => checkPrivateDirectory(path),
  );
  const sock = lstatOrNull(socket);
  if (sock && (!sock.isSocket() || (sock.uid !== 0 && sock.uid !== st.uid))) {
    throw refuse(path, `${socket} is not the socket of the store's owner`);
  }
  return true;
}
