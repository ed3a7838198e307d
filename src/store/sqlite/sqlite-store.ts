// The embedded store: one SQLite file in WAL mode, every allocation in one BEGIN IMMEDIATE transaction.
import type Database from 'better-sqlite3';
import { createRequire } from 'node:module';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { chooseGpus, MAX_POOL_SIZE, newReservation, type AllocationRequest } from '../../domain/allocation.js';
import { PoolAlreadyInitializedError, PoolNotInitializedError, StoreUnavailableError } from '../../domain/errors.js';
import { activeReservation, type Liveness } from '../../domain/liveness.js';
import type { InitializeResult, Store } from '../../domain/ports.js';
import type { GpuSlot, OwnerRef, PoolSnapshot, Reservation } from '../../domain/reservation.js';
import { networkFilesystem } from '../../host/filesystem.js';
import { DEFAULT_ACCOUNTS, DEFAULT_STORE } from '../defaults.js';
import { statementCache, type Sql } from './statements.js';

// Beside this module in src/, beside the bundle in dist/ (the build copies it).
const schema = () => readFileSync(new URL('./schema.sql', import.meta.url), 'utf8');

// Loaded on first use through require(): an ES import of this CommonJS addon costs every command,
// `--help` included, a scan of its source.
let driver: typeof Database | undefined;
function sqlite(): typeof Database {
  driver ??= createRequire(import.meta.url)('better-sqlite3') as typeof Database;
  return driver;
}

/** How long a writer waits for another's transaction before SQLite gives up; contention is our job. */
const BUSY_TIMEOUT_MS = 30_000;
/**
 * Long-lived processes (serve, run's heartbeat) wait for a lock in slices this long, sleeping
 * between them: SQLite's own wait blocks the whole event loop, and with it every other request
 * (and run's signal forwarding) while any local user holds the store's lock.
 */
const LONG_LIVED_BUSY_SLICE_MS = 10;

export interface SqliteOpenOptions {
  /** A process that keeps the store open (serve, run): waits for locks without blocking, follows a replaced file. */
  longLived?: boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface GpuRecord {
  id: number;
  user: string | null;
  type: 'run' | 'manual' | null;
  start_time: number | null;
  last_heartbeat: number | null;
  expiry_time: number | null;
  token: string | null;
  owner_host: string | null;
  owner_pid: number | null;
  owner_start: string | null;
  last_released: number | null;
}

/** Why a row cannot be read (the file is writable by every user, and SQLite keeps any type), or null. */
function unreadable(row: GpuRecord): string | null {
  for (const field of ['start_time', 'last_heartbeat', 'expiry_time', 'last_released'] as const) {
    const v: unknown = row[field];
    if (v !== null && !(typeof v === 'number' && Number.isFinite(v))) return `gpus row ${row.id}: unreadable ${field} ${JSON.stringify(String(v).slice(0, 40))}`;
  }
  if (row.user !== null && typeof row.user !== 'string') return `gpus row ${row.id}: user is not text`;
  if (row.type !== null && row.type !== 'run' && row.type !== 'manual') return `gpus row ${row.id}: unknown type ${JSON.stringify(String(row.type).slice(0, 20))}`;
  return null;
}

function toSlot(row: GpuRecord): GpuSlot {
  const problem = unreadable(row);
  if (problem) return { id: row.id, reservation: null, lastReleased: null, problem };
  let reservation: Reservation | null = null;
  if (row.user !== null && row.type !== null) {
    reservation = {
      user: row.user,
      type: row.type,
      startTime: row.start_time ?? 0,
      lastHeartbeat: row.last_heartbeat ?? row.start_time ?? 0,
      expiryTime: row.expiry_time,
      token: row.token,
      owner: row.owner_host !== null && row.owner_pid !== null
        ? { host: row.owner_host, pid: row.owner_pid, startTime: row.owner_start }
        : null,
    };
  }
  return { id: row.id, reservation, lastReleased: row.last_released };
}

const CLEARED = `user = NULL, type = NULL, start_time = NULL, last_heartbeat = NULL, expiry_time = NULL,
  token = NULL, owner_host = NULL, owner_pid = NULL, owner_start = NULL`;

function sqliteCode(err: unknown): string | null {
  return driver && err instanceof driver.SqliteError ? err.code : null;
}

export class SqliteStore implements Store {
  readonly location: string;
  private sql: Sql;
  private schemaSeen = false;
  /** The file this connection has open, to notice when it is removed or replaced under us. */
  private file: { dev: number; ino: number } | null;

  private constructor(private db: Database.Database, readonly path: string, private readonly longLived: boolean) {
    this.location = `sqlite:${path}`;
    this.sql = statementCache(db);
    this.file = longLived ? fileIdentity(path) : null;
  }

  /** Opens an existing store; a missing file means the pool was never set up. */
  static open(path: string, options: SqliteOpenOptions = {}): SqliteStore {
    if (path !== ':memory:') {
      try {
        statSync(path);
      } catch (err) {
        // Missing means never set up; a directory this user may not enter is another matter.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new PoolNotInitializedError();
        throw new StoreUnavailableError(`Cannot open the GPU store ${path} (${(err as Error).message}). Make its directory reachable by every user (chmod a+rx ${dirname(path)}), or choose another store with --store.`);
      }
    }
    return SqliteStore.connect(path, false, options.longLived ?? false);
  }

  /** Opens the store for `admin`, creating it (and its directory) readable and writable by every user. */
  static create(path: string): SqliteStore {
    if (path !== ':memory:') {
      const dir = dirname(path);
      const network = existsSync(dir) ? networkFilesystem(dir) : null;
      if (network) {
        throw new StoreUnavailableError(`${dir} is on ${network}, a network filesystem, where SQLite's locks and shared memory do not hold: put the store on a local disk (e.g. --store ${DEFAULT_STORE}).`);
      }
      let prepared: boolean;
      try {
        prepared = prepareStoreDirectory(dir, basename(path));
      } catch (err) {
        throw new StoreUnavailableError(`Cannot prepare ${dir} for the GPU store (${(err as Error).message}). Run admin as a user who may create it and make it writable by every user (chmod 0777), or choose another store with --store.`);
      }
      if (!prepared) {
        throw new StoreUnavailableError(`${dir} holds other files and is not writable by every user, as the store's directory must be (each user's command writes the WAL files beside the database); canhazgpu opens up only a directory of its own: choose one such as ${dirname(DEFAULT_STORE)} with --store.`);
      }
    }
    const store = SqliteStore.connect(path, true, false);
    if (path !== ':memory:') store.shareWithAllUsers();
    return store;
  }

  private static connect(path: string, create: boolean, longLived: boolean): SqliteStore {
    return new SqliteStore(SqliteStore.openDb(path, create, longLived), path, longLived);
  }

  private static openDb(path: string, create: boolean, longLived: boolean): Database.Database {
    const busyMs = longLived ? LONG_LIVED_BUSY_SLICE_MS : BUSY_TIMEOUT_MS;
    try {
      const db = new (sqlite())(path, { fileMustExist: !create, timeout: busyMs });
      db.pragma('busy_timeout = ' + busyMs);
      if (create) db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      return db;
    } catch (err) {
      throw storeError(err, path, 'open');
    }
  }

  /**
   * A long-lived process must not go on using a store file that was removed, or replaced by a new
   * `admin` (the CLI would use the new one, and GPUs would be granted twice): it follows a
   * replacement, and says so when the file is gone.
   */
  private followFile(): void {
    if (!this.file) return;
    const now = fileIdentity(this.path);
    if (!now) throw new StoreUnavailableError(`The GPU store ${this.path} was removed while in use; run 'canhazgpu admin --gpus <count>' to set it up again.`);
    if (now.dev === this.file.dev && now.ino === this.file.ino) return;
    this.db.close();
    this.db = SqliteStore.openDb(this.path, false, true);
    this.sql = statementCache(this.db);
    this.schemaSeen = false;
    this.file = now;
  }

  /** Runs `fn`, turning SQLite failures into one clear line; long-lived processes wait for locks asleep. */
  private async attempt<T>(action: 'read' | 'write', fn: () => T): Promise<T> {
    const deadline = Date.now() + BUSY_TIMEOUT_MS;
    for (let wait = 2; ; wait = Math.min(wait * 2, 200)) {
      try {
        this.followFile();
        return fn();
      } catch (err) {
        if (!this.longLived || sqliteCode(err) !== 'SQLITE_BUSY' || Date.now() + wait > deadline) throw storeError(err, this.path, action);
      }
      await sleep(wait * (0.5 + Math.random()));
    }
  }

  /** SQLite gives the WAL and SHM files the database file's mode, so one chmod covers all three. */
  private shareWithAllUsers(): void {
    for (const file of [this.path, `${this.path}-wal`, `${this.path}-shm`]) {
      try {
        if (existsSync(file) && (statSync(file).mode & 0o666) !== 0o666) chmodSync(file, 0o666);
      } catch {
        // not the owner: whoever created it chose its mode
      }
    }
  }

  /** Runs `fn` in a BEGIN IMMEDIATE transaction (all of it again after a lock wait: SQLite gave up before it ran). */
  private write<T>(fn: () => T): Promise<T> {
    return this.attempt('write', () => this.db.transaction(fn).immediate());
  }

  private read<T>(fn: () => T): Promise<T> {
    return this.attempt('read', fn);
  }

  private poolSize(): number {
    const row = this.sql('SELECT gpu_count FROM pool WHERE id = 1').get() as { gpu_count: number } | undefined;
    if (!row) throw new PoolNotInitializedError();
    if (!Number.isInteger(row.gpu_count) || row.gpu_count < 0 || row.gpu_count > MAX_POOL_SIZE) {
      throw new StoreUnavailableError(`The GPU store ${this.path} holds ${JSON.stringify(String(row.gpu_count).slice(0, 40))} as its pool size, not a number of GPUs (0 to ${MAX_POOL_SIZE}). Run 'canhazgpu admin --gpus <count> --force' to repair it.`);
    }
    return row.gpu_count;
  }

  private loadSnapshot(): PoolSnapshot {
    const gpuCount = this.poolSize();
    const rows = this.sql('SELECT * FROM gpus WHERE id < ? ORDER BY id').all(gpuCount) as GpuRecord[];
    const byId = new Map(rows.map((r) => [r.id, toSlot(r)]));
    const slots = Array.from({ length: gpuCount }, (_, id) => byId.get(id) ?? { id, reservation: null, lastReleased: null });
    return { gpuCount, slots };
  }

  async initialize(gpuCount: number, force: boolean, now: number): Promise<InitializeResult> {
    return this.write(() => {
      this.db.exec(schema());
      const existing = this.db.prepare('SELECT gpu_count FROM pool WHERE id = 1').get() as { gpu_count: number } | undefined;
      if (existing && !force) throw new PoolAlreadyInitializedError(existing.gpu_count);
      this.db.prepare('DELETE FROM gpus').run();
      this.db.prepare('INSERT OR REPLACE INTO pool (id, gpu_count, initialized_at) VALUES (1, ?, ?)').run(gpuCount, now);
      const insert = this.db.prepare('INSERT INTO gpus (id) VALUES (?)');
      for (let id = 0; id < gpuCount; id++) insert.run(id);
      return { previousCount: existing?.gpu_count ?? null };
    });
  }

  async snapshot(): Promise<PoolSnapshot> {
    return this.read(() => {
      if (!this.hasSchema()) throw new PoolNotInitializedError();
      return this.loadSnapshot();
    });
  }

  private hasSchema(): boolean {
    this.schemaSeen ||= this.sql("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'pool'").get() !== undefined;
    return this.schemaSeen;
  }

  async allocate(req: AllocationRequest): Promise<number[]> {
    return this.write(() => {
      if (!this.hasSchema()) throw new PoolNotInitializedError();
      const ids = chooseGpus(this.loadSnapshot().slots, req);
      const r = newReservation(req);
      const grant = this.sql(`INSERT INTO gpus (id, user, type, start_time, last_heartbeat, expiry_time, token, owner_host, owner_pid, owner_start)
        VALUES (@id, @user, @type, @start, @start, @expiry, @token, @host, @pid, @pidStart)
        ON CONFLICT (id) DO UPDATE SET user = excluded.user, type = excluded.type, start_time = excluded.start_time,
          last_heartbeat = excluded.last_heartbeat, expiry_time = excluded.expiry_time, token = excluded.token,
          owner_host = excluded.owner_host, owner_pid = excluded.owner_pid, owner_start = excluded.owner_start`);
      for (const id of ids) {
        grant.run({
          id, user: r.user, type: r.type, start: r.startTime, expiry: r.expiryTime, token: r.token,
          host: r.owner?.host ?? null, pid: r.owner?.pid ?? null, pidStart: r.owner?.startTime ?? null,
        });
      }
      return ids;
    });
  }

  async setOwner(token: string, owner: OwnerRef): Promise<number[]> {
    return this.write(() => {
      const rows = this.sql('UPDATE gpus SET owner_host = ?, owner_pid = ?, owner_start = ? WHERE token = ? AND user IS NOT NULL RETURNING id')
        .all(owner.host, owner.pid, owner.startTime, token) as Array<{ id: number }>;
      return rows.map((r) => r.id).sort((a, b) => a - b);
    });
  }

  async heartbeat(token: string, now: number): Promise<number[]> {
    return this.write(() => {
      const rows = this.sql('UPDATE gpus SET last_heartbeat = ? WHERE token = ? AND user IS NOT NULL RETURNING id').all(now, token) as Array<{ id: number }>;
      return rows.map((r) => r.id).sort((a, b) => a - b);
    });
  }

  async releaseToken(token: string, now: number): Promise<number[]> {
    return this.write(() => {
      const rows = this.sql(`UPDATE gpus SET ${CLEARED}, last_released = ? WHERE token = ? AND user IS NOT NULL RETURNING id`).all(now, token) as Array<{ id: number }>;
      return rows.map((r) => r.id).sort((a, b) => a - b);
    });
  }

  async releaseManual(user: string, now: number, liveness: Liveness): Promise<number[]> {
    return this.write(() => {
      if (!this.hasSchema()) throw new PoolNotInitializedError();
      const mine = this.loadSnapshot().slots.filter((s) => {
        const r = activeReservation(s, now, liveness);
        return r !== null && r.user === user && r.type === 'manual';
      });
      const clear = this.sql(`UPDATE gpus SET ${CLEARED}, last_released = ? WHERE id = ?`);
      for (const s of mine) clear.run(now, s.id);
      return mine.map((s) => s.id);
    });
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

/**
 * Makes `dir` a directory every user may create the store's WAL and SHM files in. It creates what is
 * missing (parents 0755, whatever the umask; the directory itself 0777) and opens up an existing
 * directory only when it holds nothing but this store's files: never a folder such as /var/lib or a
 * home that a mistyped --store names. Returns false when the directory is not ours to open up.
 */
function prepareStoreDirectory(dir: string, storeName: string): boolean {
  const missing: string[] = [];
  for (let d = dir; !existsSync(d); d = dirname(d)) missing.unshift(d);
  for (const d of missing) {
    mkdirSync(d);
    chmodSync(d, d === dir ? 0o777 : 0o755); // mkdir's mode is cut by the umask
  }
  const mode = statSync(dir).mode;
  if ((mode & 0o1000) !== 0 || (mode & 0o777) === 0o777) return true; // sticky (admin warns) or open already
  // The store's files, and the server's accounts file, which `serve` may have put there first.
  const names = [storeName, basename(DEFAULT_ACCOUNTS)];
  const ours = readdirSync(dir).every((name) => names.some((n) => name === n || name.startsWith(`${n}-`)));
  if (!ours) return false;
  chmodSync(dir, 0o777);
  return true;
}

function fileIdentity(path: string): { dev: number; ino: number } | null {
  if (path === ':memory:') return null;
  try {
    const { dev, ino } = statSync(path);
    return { dev, ino };
  } catch {
    return null;
  }
}

function storeError(err: unknown, path: string, action: 'open' | 'read' | 'write'): unknown {
  const code = sqliteCode(err);
  if (code === null) return err; // a domain error, or a bug: not ours to rename
  const reason = (err as Error).message;
  if (code.startsWith('SQLITE_READONLY') || code === 'SQLITE_PERM' || code.startsWith('SQLITE_CANTOPEN')) {
    return new StoreUnavailableError(`Cannot ${action} the GPU store ${path} (${reason}). Make it readable and writable by every user (chmod a+rw ${dirname(path)} ${path}*), or choose another store with --store.`);
  }
  if (code === 'SQLITE_BUSY') {
    return new StoreUnavailableError(`The GPU store ${path} stayed locked for ${BUSY_TIMEOUT_MS / 1000}s (${reason}); another canhazgpu may be stuck. Try again.`);
  }
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return new StoreUnavailableError(`The GPU store ${path} is not a valid canhazgpu database (${reason}). Move it aside and run 'canhazgpu admin --gpus <count>'.`);
  }
  return new StoreUnavailableError(`Cannot ${action} the GPU store ${path} (${reason}).`);
}
