// Where the server's accounts live: users, key hashes, the ledger and the token secret. Whoever can
// replace this file can make their key an admin's, so it lives in a directory only the server's user
// may write (0700), and the server refuses a file or directory that anyone else could change.
import { lstatSync } from 'node:fs';
import { dirname } from 'node:path';
import { StoreUnavailableError } from '../../../domain/errors.js';
import {
  createFileExclusively,
  createMissingDirectories,
  currentUid,
  fileProblem,
  untrustedDirectory,
} from '../../../host/trusted-path.js';

/** The server's accounts, apart from the pool's store (which every local user writes). */
export const DEFAULT_ACCOUNTS = '/var/lib/canhazgpu-server/server.db';

const refuse = (path: string, reason: string) =>
  new StoreUnavailableError(
    `Refusing the server's accounts at ${path}: ${reason}. They must be a file of the server's user (mode 0600) in a directory only that user may write (0700).`,
  );

export class NoAccountsError extends StoreUnavailableError {}

/**
 * Checks the accounts file and its directory before SQLite opens them and, with `create`, makes what
 * is missing (the directory 0700, the file 0600). Never follows a link, never changes a mode it found.
 */
export function prepareAccountsFile(path: string, create: boolean): void {
  const dir = dirname(path);
  const me = currentUid();
  try {
    if (create) createMissingDirectories(dir, (d) => (d === dir ? 0o700 : 0o755));
    const st = lstatSync(dir);
    if (st.isSymbolicLink() || !st.isDirectory()) throw refuse(path, `${dir} is not a directory`);
    if (st.uid !== me) throw refuse(path, `${dir} belongs to uid ${st.uid}, not to the server's user (uid ${me})`);
    if ((st.mode & 0o022) !== 0) throw refuse(path, `${dir} is writable by other users`);
    const above = untrustedDirectory(dir);
    if (above) throw refuse(path, above);
  } catch (err) {
    if (err instanceof StoreUnavailableError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new NoAccountsError(`No server accounts at ${path} yet.`);
    throw new StoreUnavailableError(
      `Cannot open the server's accounts at ${path} (${(err as Error).message}). Run as the server's user, or choose another file with --accounts.`,
    );
  }
  const problem = fileProblem(path);
  if (problem?.kind === 'missing') {
    if (!create) throw new NoAccountsError(`No server accounts at ${path} yet.`);
    createFileExclusively(path, 0o600); // private before SQLite writes a byte
  } else if (problem) {
    throw refuse(path, problem.reason);
  }
  const st = lstatSync(path);
  if (st.uid !== me) throw refuse(path, `it belongs to uid ${st.uid}, not to the server's user (uid ${me})`);
  if ((st.mode & 0o077) !== 0)
    throw refuse(path, `other users may read or write it (mode ${(st.mode & 0o777).toString(8)})`);
  for (const extra of [`${path}-wal`, `${path}-shm`]) {
    const leftover = fileProblem(extra);
    if (leftover?.kind === 'unsafe') throw refuse(path, leftover.reason);
  }
}
