// The server's records (ports.ts) on SQLite, in the accounts file: users, API keys, reservations, the
// ledger and settings.
import type Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { CanhazError, StoreUnavailableError } from '../../../domain/errors.js';
import { prepareAccountsFile } from './accounts-file.js';
import { statementCache, type Sql } from '../../../store/sqlite/statements.js';
import type { GpuInstance } from '../../../domain/instances.js';
import { chargeFor } from '../charge.js';
import type {
  ApiKey, HostCount, Records, RecordsOpenOptions, ServerReservation, Transaction, User,
} from '../ports.js';
import { addMissingColumns } from './migrate.js';

// Beside this module in src/, beside the bundle in dist/ (the build copies it); read on first open.
const schema = () => readFileSync(new URL('./accounts.sql', import.meta.url), 'utf8');

interface UserRow {
  id: string; email: string; name: string; is_admin: number; password_hash: string | null; created_at: number;
  // Missing from a file an older canhazgpu made and a read-only command cannot migrate.
  disabled_at?: number | null; deleted_at?: number | null; token_generation?: number; failed_logins?: number;
  locked_until?: number | null;
}
interface KeyRow { id: string; user_id: string; name: string; created_at: number; revoked_at: number | null }
interface TransactionRow {
  id: string; user_id: string; type: string; amount: number; currency: string; timestamp: number; status: string;
  description: string;
}
interface ReservationRow { contract_id: string; provider: string; user_id: string; instance_json: string; price_per_hour: number; created_at: number; expires_at: number; ended_at: number | null }

const toUser = (r: UserRow): User => ({
  id: r.id, email: r.email, name: r.name, isAdmin: r.is_admin === 1, passwordHash: r.password_hash,
  createdAt: r.created_at,
  disabledAt: r.disabled_at ?? null, deletedAt: r.deleted_at ?? null, tokenGeneration: r.token_generation ?? 0,
  failedLogins: r.failed_logins ?? 0, lockedUntil: r.locked_until ?? null,
});
const toReservation = (r: ReservationRow): ServerReservation => ({
  contractId: r.contract_id, provider: r.provider, userId: r.user_id, instance: JSON.parse(r.instance_json) as GpuInstance,
  pricePerHour: r.price_per_hour, createdAt: r.created_at, expiresAt: r.expires_at, endedAt: r.ended_at,
});

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
    throw new CanhazError(`There are no accounts at ${path} yet: add a user first with `
      + `'canhazgpu user add --email EMAIL' (or point --accounts at the server's file).`);
  }
}

export class SqliteRecords implements Records {
  private readonly sql: Sql;
  private readonly settings = new Map<string, string | null>();

  private constructor(
    private readonly db: Database.Database, private readonly path: string, private readonly longLived: boolean,
  ) {
    this.sql = statementCache(db);
  }

  /** Opens (creating when missing, unless told not to) the accounts file, private to its owner. */
  static open(path: string, options: RecordsOpenOptions = {}): SqliteRecords {
    const mode = options.mode ?? 'create';
    if (mode !== 'create') requireExisting(path);
    const Driver = createRequire(import.meta.url)('better-sqlite3') as typeof Database;
    try {
      if (path !== ':memory:') prepareAccountsFile(path, mode === 'create');
      const db = new Driver(path, { timeout: LOCK_WAIT_MS, readonly: mode === 'read' });
      // A reading command changes nothing, not even an old file's columns (toUser fills them in).
      if (mode === 'read') return new SqliteRecords(db, path, false);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL'); // in WAL mode: durable across crashes of the process, no fsync per commit
      // The ledger only grows: checkpoint (and fsync) every ~40 MB of WAL rather than every 4 MB.
      db.pragma('wal_autocheckpoint = 10000');
      db.pragma('foreign_keys = ON');
      db.exec(schema());
      addMissingColumns(db);
      // Set-up above may wait on the lock (nothing is served yet); from here on the server must not.
      if (options.longLived) db.pragma(`busy_timeout = ${BUSY_SLICE_MS}`);
      return new SqliteRecords(db, path, options.longLived ?? false);
    } catch (err) {
      if (err instanceof StoreUnavailableError) throw err;
      throw new StoreUnavailableError(`Cannot open the server's accounts at ${path} (${(err as Error).message}). Run as the server's user, or choose another file with --accounts.`);
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
          throw new StoreUnavailableError(`The server's accounts at ${this.path} stayed locked for `
            + `${LOCK_WAIT_MS / 1000} s (${(err as Error).message}); another process may be stuck. Try again.`);
        }
      }
      await sleep(wait * (0.5 + Math.random()));
    }
  }

  /** `fn` in a BEGIN IMMEDIATE transaction (all of it again after a wait: SQLite gave up before it ran). */
  private write<T>(fn: () => T): Promise<T> {
    return this.attempt(() => this.db.transaction(fn).immediate());
  }

  /** Reads do not wait for writers in WAL mode; they may still meet a lock (a recovery), rarely. */
  private read<T>(fn: () => T): Promise<T> {
    return this.attempt(fn);
  }

  // --- users

  async addUser(
    email: string, name: string, isAdmin: boolean, passwordHash: string | null, now: number,
  ): Promise<User> {
    const user: User = {
      id: randomUUID(), email, name, isAdmin, passwordHash, createdAt: now, disabledAt: null, deletedAt: null,
      tokenGeneration: 0, failedLogins: 0, lockedUntil: null,
    };
    return this.write(() => {
      if (this.findByEmail(email)) throw new CanhazError(`a user with email ${email} already exists`);
      this.sql('INSERT INTO users (id, email, name, is_admin, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(user.id, email, name, isAdmin ? 1 : 0, passwordHash, now);
      return user;
    });
  }

  private findByEmail(email: string): User | null {
    const row = this.sql('SELECT * FROM users WHERE email = ? COLLATE NOCASE').get(email) as UserRow | undefined;
    return row ? toUser(row) : null;
  }

  userByEmail(email: string): Promise<User | null> {
    return this.read(() => this.findByEmail(email));
  }

  userById(id: string): Promise<User | null> {
    return this.read(() => {
      const row = this.sql('SELECT * FROM users WHERE id = ?').get(id) as UserRow | undefined;
      return row ? toUser(row) : null;
    });
  }

  /** Every user but the deleted ones, by email. */
  listUsers(): Promise<User[]> {
    return this.read(() => (this.sql('SELECT * FROM users ORDER BY email').all() as UserRow[])
      .map(toUser).filter((u) => u.deletedAt === null));
  }

  /** A new password; login tokens made with the old one stop working, and a login lock is lifted. */
  setPassword(userId: string, passwordHash: string): Promise<void> {
    return this.write(() => {
      this.sql(`UPDATE users SET password_hash = ?, token_generation = token_generation + 1, failed_logins = 0,
        locked_until = NULL WHERE id = ?`).run(passwordHash, userId);
    });
  }

  /** Disabling kills the user's login tokens for good; enabling lets the keys work again and lifts a login lock. */
  setDisabled(userId: string, disabled: boolean, now: number): Promise<void> {
    return this.write(() => {
      if (disabled) {
        this.sql('UPDATE users SET disabled_at = ?, token_generation = token_generation + 1 WHERE id = ?')
          .run(now, userId);
      } else {
        this.sql('UPDATE users SET disabled_at = NULL, failed_logins = 0, locked_until = NULL WHERE id = ?')
          .run(userId);
      }
    });
  }

  /** Every login token the user holds stops working (API keys are revoked one by one). */
  revokeTokens(userId: string): Promise<void> {
    return this.write(() => {
      this.sql('UPDATE users SET token_generation = token_generation + 1 WHERE id = ?').run(userId);
    });
  }

  /**
   * Deletes a user who holds no active reservation (nobody could end those but an admin, nor be charged
   * for them). The row stays, so the ledger and past reservations keep their user; keys are revoked,
   * tokens and password die, and the email is freed for a new user of that address.
   */
  deleteUser(user: User, now: number): Promise<void> {
    return this.write(() => {
      const active = (this.sql(`SELECT COUNT(*) AS n FROM reservations
        WHERE user_id = ? AND ended_at IS NULL AND expires_at > ?`).get(user.id, now) as { n: number }).n;
      if (active > 0) {
        throw new CanhazError(`${user.email} holds ${active} active reservation(s): end them first (an admin may `
          + `DELETE /api/v1/gpu/instances/PROVIDER/CONTRACT_ID), or disable the user now and delete it once they end`);
      }
      this.sql('UPDATE api_keys SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL').run(now, user.id);
      this.sql(`UPDATE users SET deleted_at = ?, email = ?, password_hash = NULL,
        token_generation = token_generation + 1 WHERE id = ?`).run(now, `${user.email}#deleted-${user.id}`, user.id);
    });
  }

  /** One more failed login in a row; `lockMs(failures)` says for how long the next one is refused. */
  recordLoginFailure(userId: string, now: number, lockMs: (failures: number) => number): Promise<void> {
    return this.write(() => {
      const row = this.sql('UPDATE users SET failed_logins = failed_logins + 1 WHERE id = ? RETURNING failed_logins')
        .get(userId) as { failed_logins: number } | undefined;
      const ms = row ? lockMs(row.failed_logins) : 0;
      if (ms > 0) this.sql('UPDATE users SET locked_until = ? WHERE id = ?').run(now + ms, userId);
    });
  }

  resetLoginFailures(userId: string): Promise<void> {
    return this.write(() => {
      this.sql('UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = ?').run(userId);
    });
  }

  // --- API keys (only their SHA-256 is kept)

  addApiKey(userId: string, name: string, keyHash: string, now: number): Promise<ApiKey> {
    const key: ApiKey = { id: randomUUID(), userId, name, createdAt: now, revokedAt: null };
    return this.write(() => {
      this.sql('INSERT INTO api_keys (id, user_id, name, key_hash, created_at) VALUES (?, ?, ?, ?, ?)')
        .run(key.id, userId, name, keyHash, now);
      return key;
    });
  }

  /** The live key with this hash and its user. */
  userByKeyHash(keyHash: string): Promise<{ user: User; keyId: string } | null> {
    return this.read(() => {
      const row = this.sql(`SELECT users.*, api_keys.id AS key_id FROM api_keys
        JOIN users ON users.id = api_keys.user_id WHERE api_keys.key_hash = ? AND api_keys.revoked_at IS NULL`)
        .get(keyHash) as (UserRow & { key_id: string }) | undefined;
      return row ? { user: toUser(row), keyId: row.key_id } : null;
    });
  }

  listApiKeys(userId: string): Promise<ApiKey[]> {
    return this.read(() => {
      const rows = this.sql(`SELECT id, user_id, name, created_at, revoked_at FROM api_keys WHERE user_id = ?
        ORDER BY created_at, id`).all(userId) as KeyRow[];
      return rows.map((r) => ({
        id: r.id, userId: r.user_id, name: r.name, createdAt: r.created_at, revokedAt: r.revoked_at,
      }));
    });
  }

  /** Revokes one of the user's keys; false when the user has no such live key. */
  revokeApiKey(userId: string, keyId: string, now: number): Promise<boolean> {
    return this.write(() => this.sql(`UPDATE api_keys SET revoked_at = ?
      WHERE id = ? AND user_id = ? AND revoked_at IS NULL`).run(now, keyId, userId).changes === 1);
  }

  // --- reservations and the ledger

  private insertReservation(r: ServerReservation): void {
    this.sql('INSERT INTO reservations (contract_id, provider, user_id, instance_json, price_per_hour, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(r.contractId, r.provider, r.userId, JSON.stringify(r.instance), r.pricePerHour, r.createdAt, r.expiresAt);
  }

  addReservation(r: ServerReservation): Promise<void> {
    return this.write(() => this.insertReservation(r));
  }

  /** Records one request's reservations together, or none of them. */
  addReservations(list: ServerReservation[]): Promise<void> {
    return this.write(() => list.forEach((r) => this.insertReservation(r)));
  }

  reservation(provider: string, contractId: string): Promise<ServerReservation | null> {
    return this.read(() => {
      const row = this.sql('SELECT * FROM reservations WHERE provider = ? AND contract_id = ?')
        .get(provider, contractId) as ReservationRow | undefined;
      return row ? toReservation(row) : null;
    });
  }

  /** Active reservations, of one user or of everyone. */
  activeReservations(userId?: string): Promise<ServerReservation[]> {
    return this.read(() => {
      const rows = (userId
        ? this.sql('SELECT * FROM reservations WHERE ended_at IS NULL AND user_id = ? ORDER BY created_at').all(userId)
        : this.sql('SELECT * FROM reservations WHERE ended_at IS NULL ORDER BY created_at').all()) as ReservationRow[];
      return rows.map(toReservation);
    });
  }

  /** Of these contracts of `provider`, those with an active reservation on record. */
  recordedActive(provider: string, contractIds: readonly string[]): Promise<Set<string>> {
    return this.read(() => {
      const one = this.sql('SELECT 1 FROM reservations WHERE provider = ? AND contract_id = ? AND ended_at IS NULL');
      return new Set(contractIds.filter((id) => one.get(provider, id) !== undefined));
    });
  }

  // The two counts below stay synchronous: the strategies read them where nothing may await (see
  // GpuService.reserveNow). In WAL mode reads do not wait for a writer's lock.

  countByProvider(): Map<string, number> {
    const rows = this.sql('SELECT provider, COUNT(*) AS n FROM reservations GROUP BY provider').all() as Array<{ provider: string; n: number }>;
    return new Map(rows.map((r) => [r.provider, r.n]));
  }

  /** Active reservations per provider and location, counted by SQLite rather than read one by one. */
  activeCountsByHost(): HostCount[] {
    return this.sql(`SELECT provider, json_extract(instance_json, '$.location') AS location, COUNT(*) AS n
      FROM reservations WHERE ended_at IS NULL GROUP BY provider, location`).all() as HostCount[];
  }

  /** Ends a reservation and charges its real cost (price × time held), once. */
  endReservation(r: ServerReservation, endedAt: number): Promise<Transaction | null> {
    return this.write(() => {
      const ended = this.sql('UPDATE reservations SET ended_at = ? WHERE contract_id = ? AND provider = ? AND ended_at IS NULL').run(endedAt, r.contractId, r.provider);
      if (ended.changes === 0) return null;
      const t = chargeFor(r, endedAt, randomUUID());
      this.sql('INSERT INTO transactions (id, user_id, type, amount, currency, timestamp, status, description) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(t.id, t.userId, t.type, t.amount, t.currency, t.timestamp, t.status, t.description);
      return t;
    });
  }

  transactions(userId: string, limit: number, offset: number): Promise<{ items: Transaction[]; total: number }> {
    return this.read(() => {
      const count = this.sql('SELECT COUNT(*) AS n FROM transactions WHERE user_id = ?').get(userId) as { n: number };
      const total = count.n;
      const rows = this.sql('SELECT * FROM transactions WHERE user_id = ? ORDER BY timestamp DESC, id LIMIT ? OFFSET ?')
        .all(userId, limit, offset) as TransactionRow[];
      return {
        total, items: rows.map((r) => ({
          id: r.id, userId: r.user_id, type: r.type, amount: r.amount, currency: r.currency, timestamp: r.timestamp,
          status: r.status, description: r.description,
        })),
      };
    });
  }

  // --- settings

  /** Settings are read through a cache: this process is their only writer. */
  setting(key: string): string | null {
    if (!this.settings.has(key)) {
      this.settings.set(key, (this.sql('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined)?.value ?? null);
    }
    return this.settings.get(key)!;
  }

  async setSetting(key: string, value: string): Promise<void> {
    await this.write(() => {
      this.sql('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value')
        .run(key, value);
    });
    this.settings.set(key, value);
  }

  /** The setting, made by `make` and stored when it has none yet. */
  async settingOrMake(key: string, make: () => string): Promise<string> {
    const value = this.setting(key) ?? await this.write(() => {
      this.sql('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING').run(key, make());
      return (this.sql('SELECT value FROM settings WHERE key = ?').get(key) as { value: string }).value;
    });
    this.settings.set(key, value);
    return value;
  }
}
