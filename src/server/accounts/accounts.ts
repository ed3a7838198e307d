// Users, API keys, the server's reservations and the ledger, on SQLite.
import type Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { CanhazError, StoreUnavailableError } from '../../domain/errors.js';
import { prepareAccountsFile } from './accounts-file.js';
import { statementCache, type Sql } from '../../store/sqlite/statements.js';
import { costBetween, type GpuInstance } from '../../domain/instances.js';

// Beside this module in src/, beside the bundle in dist/ (the build copies it); read on first open.
const schema = () => readFileSync(new URL('./accounts.sql', import.meta.url), 'utf8');

export interface User {
  id: string;
  email: string;
  name: string;
  isAdmin: boolean;
  passwordHash: string | null;
  createdAt: number;
}

export interface ApiKey {
  id: string;
  userId: string;
  name: string;
  createdAt: number;
  revokedAt: number | null;
}

export interface ServerReservation {
  contractId: string;
  provider: string;
  userId: string;
  instance: GpuInstance;
  pricePerHour: number;
  createdAt: number;
  expiresAt: number;
  endedAt: number | null;
}

export interface Transaction {
  id: string;
  userId: string;
  type: string;
  amount: number;
  currency: string;
  timestamp: number;
  status: string;
  description: string;
}

interface UserRow { id: string; email: string; name: string; is_admin: number; password_hash: string | null; created_at: number }
interface ReservationRow { contract_id: string; provider: string; user_id: string; instance_json: string; price_per_hour: number; created_at: number; expires_at: number; ended_at: number | null }

const toUser = (r: UserRow): User => ({ id: r.id, email: r.email, name: r.name, isAdmin: r.is_admin === 1, passwordHash: r.password_hash, createdAt: r.created_at });
const toReservation = (r: ReservationRow): ServerReservation => ({
  contractId: r.contract_id, provider: r.provider, userId: r.user_id, instance: JSON.parse(r.instance_json) as GpuInstance,
  pricePerHour: r.price_per_hour, createdAt: r.created_at, expiresAt: r.expires_at, endedAt: r.ended_at,
});

export class Accounts {
  private readonly sql: Sql;
  private readonly settings = new Map<string, string | null>();

  private constructor(private readonly db: Database.Database) {
    this.sql = statementCache(db);
  }

  /** Opens (creating when missing) the accounts file, readable and writable by its owner alone. */
  static open(path: string): Accounts {
    const Driver = createRequire(import.meta.url)('better-sqlite3') as typeof Database;
    try {
      if (path !== ':memory:') prepareAccountsFile(path, true);
      const db = new Driver(path, { timeout: 30_000 });
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL'); // in WAL mode: durable across crashes of the process, no fsync per commit
      // The ledger only grows: checkpoint (and fsync) every ~40 MB of WAL rather than every 4 MB.
      db.pragma('wal_autocheckpoint = 10000');
      db.pragma('foreign_keys = ON');
      db.exec(schema());
      return new Accounts(db);
    } catch (err) {
      if (err instanceof StoreUnavailableError) throw err;
      throw new StoreUnavailableError(`Cannot open the server's accounts at ${path} (${(err as Error).message}). Run as the server's user, or choose another file with --accounts.`);
    }
  }

  close(): void {
    this.db.close();
  }

  // --- users

  addUser(email: string, name: string, isAdmin: boolean, passwordHash: string | null, now: number): User {
    if (this.userByEmail(email)) throw new CanhazError(`a user with email ${email} already exists`);
    const user: User = { id: randomUUID(), email, name, isAdmin, passwordHash, createdAt: now };
    this.sql('INSERT INTO users (id, email, name, is_admin, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(user.id, email, name, isAdmin ? 1 : 0, passwordHash, now);
    return user;
  }

  userByEmail(email: string): User | null {
    const row = this.sql('SELECT * FROM users WHERE email = ? COLLATE NOCASE').get(email) as UserRow | undefined;
    return row ? toUser(row) : null;
  }

  userById(id: string): User | null {
    const row = this.sql('SELECT * FROM users WHERE id = ?').get(id) as UserRow | undefined;
    return row ? toUser(row) : null;
  }

  // --- API keys (only their SHA-256 is kept)

  addApiKey(userId: string, name: string, keyHash: string, now: number): ApiKey {
    const key: ApiKey = { id: randomUUID(), userId, name, createdAt: now, revokedAt: null };
    this.sql('INSERT INTO api_keys (id, user_id, name, key_hash, created_at) VALUES (?, ?, ?, ?, ?)').run(key.id, userId, name, keyHash, now);
    return key;
  }

  /** The live key with this hash and its user. */
  userByKeyHash(keyHash: string): { user: User; keyId: string } | null {
    const row = this.sql(`SELECT users.*, api_keys.id AS key_id FROM api_keys JOIN users ON users.id = api_keys.user_id
      WHERE api_keys.key_hash = ? AND api_keys.revoked_at IS NULL`).get(keyHash) as (UserRow & { key_id: string }) | undefined;
    return row ? { user: toUser(row), keyId: row.key_id } : null;
  }

  listApiKeys(userId: string): ApiKey[] {
    const rows = this.sql('SELECT id, user_id, name, created_at, revoked_at FROM api_keys WHERE user_id = ? ORDER BY created_at, id').all(userId) as Array<{ id: string; user_id: string; name: string; created_at: number; revoked_at: number | null }>;
    return rows.map((r) => ({ id: r.id, userId: r.user_id, name: r.name, createdAt: r.created_at, revokedAt: r.revoked_at }));
  }

  /** Revokes one of the user's keys; false when the user has no such live key. */
  revokeApiKey(userId: string, keyId: string, now: number): boolean {
    return this.sql('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL').run(now, keyId, userId).changes === 1;
  }

  // --- reservations and the ledger

  addReservation(r: ServerReservation): void {
    this.sql('INSERT INTO reservations (contract_id, provider, user_id, instance_json, price_per_hour, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(r.contractId, r.provider, r.userId, JSON.stringify(r.instance), r.pricePerHour, r.createdAt, r.expiresAt);
  }

  /** Records one request's reservations together, or none of them. */
  addReservations(list: ServerReservation[]): void {
    this.db.transaction(() => list.forEach((r) => this.addReservation(r)))();
  }

  reservation(provider: string, contractId: string): ServerReservation | null {
    const row = this.sql('SELECT * FROM reservations WHERE provider = ? AND contract_id = ?').get(provider, contractId) as ReservationRow | undefined;
    return row ? toReservation(row) : null;
  }

  /** Active reservations, of one user or of everyone. */
  activeReservations(userId?: string): ServerReservation[] {
    const rows = (userId
      ? this.sql('SELECT * FROM reservations WHERE ended_at IS NULL AND user_id = ? ORDER BY created_at').all(userId)
      : this.sql('SELECT * FROM reservations WHERE ended_at IS NULL ORDER BY created_at').all()) as ReservationRow[];
    return rows.map(toReservation);
  }

  countByProvider(): Map<string, number> {
    const rows = this.sql('SELECT provider, COUNT(*) AS n FROM reservations GROUP BY provider').all() as Array<{ provider: string; n: number }>;
    return new Map(rows.map((r) => [r.provider, r.n]));
  }

  /** Active reservations per provider and location, counted by SQLite rather than read one by one. */
  activeCountsByHost(): Array<{ provider: string; location: string; n: number }> {
    return this.sql(`SELECT provider, json_extract(instance_json, '$.location') AS location, COUNT(*) AS n
      FROM reservations WHERE ended_at IS NULL GROUP BY provider, location`).all() as Array<{ provider: string; location: string; n: number }>;
  }

  /** Ends a reservation and charges its real cost (price × time held), once. */
  endReservation(r: ServerReservation, endedAt: number): Transaction | null {
    return this.db.transaction(() => {
      const ended = this.sql('UPDATE reservations SET ended_at = ? WHERE contract_id = ? AND provider = ? AND ended_at IS NULL').run(endedAt, r.contractId, r.provider);
      if (ended.changes === 0) return null;
      const hours = Math.max(0, endedAt - r.createdAt) / 3_600_000;
      const t: Transaction = {
        id: randomUUID(), userId: r.userId, type: 'charge', amount: costBetween(r.pricePerHour, r.createdAt, endedAt), currency: 'USD',
        timestamp: endedAt, status: 'completed',
        description: `${r.instance.gpuModel} on ${r.provider} (${r.contractId}) for ${hours.toFixed(4)} h at $${r.pricePerHour}/h`,
      };
      this.sql('INSERT INTO transactions (id, user_id, type, amount, currency, timestamp, status, description) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(t.id, t.userId, t.type, t.amount, t.currency, t.timestamp, t.status, t.description);
      return t;
    })();
  }

  transactions(userId: string, limit: number, offset: number): { items: Transaction[]; total: number } {
    const total = (this.sql('SELECT COUNT(*) AS n FROM transactions WHERE user_id = ?').get(userId) as { n: number }).n;
    const rows = this.sql('SELECT * FROM transactions WHERE user_id = ? ORDER BY timestamp DESC, id LIMIT ? OFFSET ?').all(userId, limit, offset) as Array<{ id: string; user_id: string; type: string; amount: number; currency: string; timestamp: number; status: string; description: string }>;
    return { total, items: rows.map((r) => ({ id: r.id, userId: r.user_id, type: r.type, amount: r.amount, currency: r.currency, timestamp: r.timestamp, status: r.status, description: r.description })) };
  }

  // --- settings

  /** Settings are read through a cache: this process is their only writer. */
  setting(key: string): string | null {
    if (!this.settings.has(key)) {
      this.settings.set(key, (this.sql('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined)?.value ?? null);
    }
    return this.settings.get(key)!;
  }

  setSetting(key: string, value: string): void {
    this.sql('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
    this.settings.set(key, value);
  }
}
