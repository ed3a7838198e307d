// The accounts file's SQLite connection, shared by the records of every port: opening (private to
// its owner, migrated), and reads and writes that wait for another process's lock without blocking.
import { Database, nativeBinding } from '../../../store/sqlite/driver.js';
import { readFileSync, statSync } from 'node:fs';
import { CanhazError, StoreUnavailableError } from '../../../domain/errors.js';
import { statementCache, type Sql } from '../../../store/sqlite/statements.js';
import type { RecordsOpenOptions } from '../ports.js';
import { prepareAccountsFile } from './accounts-file.js';
import { addMissingColumns } from './migrate.js';

// Beside this module in src/, beside the bundle in dist/ (the build copies it); read on first open.
const schema = () => readFileSync(new URL('./accounts.sql', import.meta.url), 'utf8');

/** How long a write waits for another process's lock before it fails. */
const LOCK_WAIT_MS = 30_000;
/** The server's connection waits on the lock this long at most before sleeping (SQLite's wait blocks). */
const BUSY_SLICE_MS = 10;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const isBusy = (err: unknown) => String((err as { code?: unknown } | null)?.code ?? '').startsWith('SQLITE_BUSY');

/** For the commands that must not create the accounts: one line when there are none yet. */
function requireExisting(path: string): void {
  if (path === ':memory:') return;
  try {
    statSync(path);
  } catch (err) {
    // Anything but "missing" (a directory we may not enter) is for open to report.
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return;
    throw new CanhazError(
      `There are no accounts at ${path} yet: add a user first with ` +
        `'canhazgpu user add --email EMAIL' (or point --accounts at the server's file).`,
    );
  }
}

export class AccountsDatabase {
  /** Prepared statements, cached by their text. */
  readonly sql: Sql;

  private constructor(
    private readonly db: Database.Database,
    private readonly path: string,
    private readonly longLived: boolean,
  ) {
    this.sql = statementCache(db);
  }

  /** Opens (creating when missing, unless told not to) the accounts file, private to its owner. */
  static open(path: string, options: RecordsOpenOptions = {}): AccountsDatabase {
    const mode = options.mode ?? 'create';
    if (mode !== 'create') requireExisting(path);
    try {
      if (path !== ':memory:') prepareAccountsFile(path, mode === 'create');
      const db = new Database(path, { timeout: LOCK_WAIT_MS, readonly: mode === 'read', ...nativeBinding() });
      // A reading command changes nothing, not even an old file's columns (toUser fills them in).
      if (mode === 'read') return new AccountsDatabase(db, path, false);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL'); // in WAL mode: durable across crashes of the process, no fsync per commit
      // The ledger only grows: checkpoint (and fsync) every ~40 MB of WAL rather than every 4 MB.
      db.pragma('wal_autocheckpoint = 10000');
      db.pragma('foreign_keys = ON');
      db.exec(schema());
      addMissingColumns(db);
      // Set-up above may wait on the lock (nothing is served yet); from here on the server must not.
      if (options.longLived) db.pragma(`busy_timeout = ${BUSY_SLICE_MS}`);
      return new AccountsDatabase(db, path, options.longLived ?? false);
    } catch (err) {
      if (err instanceof StoreUnavailableError) throw err;
      throw new StoreUnavailableError(
        `Cannot open the server's accounts at ${path} (${(err as Error).message}). ` +
          "Run as the server's user, or choose another file with --accounts.",
      );
    }
  }

  close(): void {
    this.db.close();
  }

  /**
   * Runs `fn`. SQLite waits for a lock synchronously, freezing the server's event loop (every other
   * request) for as long as another process holds it: the server's connection waits a slice at most,
   * then sleeps and tries again, backing off, up to LOCK_WAIT_MS (as the pool's SQLite store does).
   */
  private async attempt<T>(fn: () => T): Promise<T> {
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (let wait = 2; ; wait = Math.min(wait * 2, 200)) {
      try {
        return fn();
      } catch (err) {
        if (!isBusy(err)) throw err;
        if (!this.longLived || Date.now() + wait > deadline) {
          throw new StoreUnavailableError(
            `The server's accounts at ${this.path} stayed locked for ` +
              `${LOCK_WAIT_MS / 1000} s (${(err as Error).message}); another process may be stuck. Try again.`,
          );
        }
      }
      await sleep(wait * (0.5 + Math.random()));
    }
  }

  /** `fn` in a BEGIN IMMEDIATE transaction (all of it again after a wait: SQLite gave up before it ran). */
  write<T>(fn: () => T): Promise<T> {
    return this.attempt(() => this.db.transaction(fn).immediate());
  }

  /** Reads do not wait for writers in WAL mode; they may still meet a lock (a recovery), rarely. */
  read<T>(fn: () => T): Promise<T> {
    return this.attempt(fn);
  }
}
