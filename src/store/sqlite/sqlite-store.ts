// The embedded store: one SQLite file with a kept rollback journal, every allocation in one BEGIN IMMEDIATE
// transaction.
import { Database, nativeBinding } from './driver.js';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { chooseGpus, MAX_POOL_SIZE, reservationFor, type AllocationRequest } from '../../domain/allocation.js';
import { PoolAlreadyInitializedError, PoolNotInitializedError, StoreUnavailableError } from '../../domain/errors.js';
import {
  DAY_MS,
  DEFAULT_HISTORY_DAYS,
  type EndReason,
  endedRecord,
  type HistoryRecord,
  lapse,
  recordOf,
} from '../../domain/history.js';
import { activeReservation, defaultLiveness, type Liveness, NO_TOKENS } from '../../domain/liveness.js';
import type { PoolOwner } from '../../domain/pool-owner.js';
import type { ExtendedGpu, GpuReading, InitializeResult, QueueStore, ReadingStore, Store } from '../../domain/ports.js';
import type { AllocationPolicy, GpuSlot, OwnerRef, PoolSnapshot } from '../../domain/reservation.js';
import { isAllocationPolicy } from '../../domain/reservation.js';
import { addMissingColumns } from './columns.js';
import { decodeReading, encodeUsage } from '../reading-codec.js';
import { decodeProber, encodeProber } from '../prober-codec.js';
import type { UnreservedUse } from '../../domain/unreserved.js';
import { readHistory, recordHistory } from './history.js';
import { addUnreserved, readUnreserved } from './unreserved.js';
import { type GpuRecord, RELEASED, toSlot } from './rows.js';
import { checkQueueSeen, removeGranted, SqliteQueue } from './sqlite-queue.js';
import {
  checkStoreFiles,
  fileIdentity,
  fileOwner,
  journalOf,
  prepareStoreFiles,
  type StoreLayout,
} from './store-files.js';
import { statementCache, type Sql } from './statements.js';

// Beside this module in src/, beside the bundle in dist/ (the build copies it).
const schema = () => readFileSync(new URL('./schema.sql', import.meta.url), 'utf8');

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
  /** How long ended reservations stay in the history (default 90 days). */
  historyRetentionMs?: number;
}

export interface SqliteCreateOptions {
  /** `admin --private`: a new store only its owner may write, kept for the others by `canhazgpu agent`. */
  private?: boolean;
  /** How long ended reservations stay in the history (default 90 days). */
  historyRetentionMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function sqliteCode(err: unknown): string | null {
  return err instanceof Database.SqliteError ? err.code : null;
}

export class SqliteStore implements Store, ReadingStore {
  readonly location: string;
  private sql: Sql;
  private schemaSeen = false;
  /** The columns added since the first schema (columns.ts) were checked on this connection. */
  private columnsSeen = false;
  /** The readings table's columns were checked likewise (it is made by the first reading, after the others). */
  private readingColumnsSeen = false;
  /** The file this connection has open, to notice when it is removed or replaced under us. */
  private file: { dev: number; ino: number } | null;

  private constructor(
    private db: Database.Database,
    readonly path: string,
    private readonly longLived: boolean,
    /** Private: only its owner opens it, and `canhazgpu agent` serves everyone else. */
    readonly layout: StoreLayout,
    private readonly historyRetentionMs = DEFAULT_HISTORY_DAYS * DAY_MS,
  ) {
    this.location = `sqlite:${path}`;
    this.sql = statementCache(db);
    this.file = longLived && path !== ':memory:' ? fileIdentity(path) : null;
  }

  /** Opens an existing store; a missing file means the pool was never set up. */
  static open(path: string, options: SqliteOpenOptions = {}): SqliteStore {
    const layout = path === ':memory:' ? 'private' : checkStoreFiles(path);
    return SqliteStore.connect(path, false, options.longLived ?? false, layout, options.historyRetentionMs);
  }

  /**
   * Opens the store for `admin`, creating its directory and files when missing: writable by every user, or
   * by the caller alone when `private`.
   */
  static create(path: string, options: SqliteCreateOptions = {}): SqliteStore {
    const wanted = options.private ? 'private' : 'shared';
    const layout = path === ':memory:' ? 'private' : prepareStoreFiles(path, wanted);
    return SqliteStore.connect(path, true, false, layout, options.historyRetentionMs);
  }

  private static connect(
    path: string,
    create: boolean,
    longLived: boolean,
    layout: StoreLayout,
    retentionMs?: number,
  ): SqliteStore {
    return new SqliteStore(SqliteStore.openDb(path, create, longLived, layout), path, longLived, layout, retentionMs);
  }

  /**
   * Opening reads the schema (setting the journal mode does), which waits for a writer's commit like
   * any read: it waits the full time, as commands do, unless `sliced` (a reopen inside `attempt`, which
   * retries asleep). A long-lived connection then waits in slices, so its event loop keeps running.
   */
  private static openDb(
    path: string,
    create: boolean,
    longLived: boolean,
    layout: StoreLayout,
    sliced = false,
  ): Database.Database {
    const openBusyMs = sliced ? LONG_LIVED_BUSY_SLICE_MS : BUSY_TIMEOUT_MS;
    try {
      const db = new Database(path, { fileMustExist: !create, timeout: openBusyMs, ...nativeBinding() });
      try {
        db.pragma(`busy_timeout = ${openBusyMs}`);
        if (path !== ':memory:') setJournal(db, path, layout);
        if (longLived) db.pragma(`busy_timeout = ${LONG_LIVED_BUSY_SLICE_MS}`);
      } catch (err) {
        db.close();
        throw err;
      }
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
    if (!now)
      throw new StoreUnavailableError(
        `The GPU store ${this.path} was removed while in use; run 'canhazgpu admin --gpus <count>' to set it up again.`,
      );
    if (now.dev === this.file.dev && now.ino === this.file.ino) return;
    const layout = checkStoreFiles(this.path);
    this.db.close();
    this.db = SqliteStore.openDb(this.path, false, true, layout, true);
    this.sql = statementCache(this.db);
    this.schemaSeen = false;
    this.columnsSeen = false;
    this.readingColumnsSeen = false;
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
        // Emptied under us (truncated by another user): as never set up, which admin repairs.
        if (sqliteCode(err) === 'SQLITE_ERROR' && /^no such table/.test((err as Error).message)) {
          this.schemaSeen = false;
          this.columnsSeen = false;
          this.readingColumnsSeen = false;
          throw new PoolNotInitializedError();
        }
        if (!this.longLived || sqliteCode(err) !== 'SQLITE_BUSY' || Date.now() + wait > deadline)
          throw storeError(err, this.path, action);
      }
      await sleep(wait * (0.5 + Math.random()));
    }
  }

  /** Runs `fn` in a BEGIN IMMEDIATE transaction (all of it again after a lock wait: SQLite gave up before it ran). */
  private write<T>(fn: () => T): Promise<T> {
    return this.attempt('write', () =>
      this.db
        .transaction(() => {
          if (!this.columnsSeen && this.hasSchema()) {
            addMissingColumns(this.db);
            this.columnsSeen = true;
          }
          return fn();
        })
        .immediate(),
    );
  }

  private read<T>(fn: () => T): Promise<T> {
    return this.attempt('read', fn);
  }

  private poolSize(): number {
    const row = this.sql('SELECT gpu_count FROM pool WHERE id = 1').get() as { gpu_count: number } | undefined;
    if (!row) throw new PoolNotInitializedError();
    if (!Number.isInteger(row.gpu_count) || row.gpu_count < 0 || row.gpu_count > MAX_POOL_SIZE) {
      throw new StoreUnavailableError(
        `The GPU store ${this.path} holds ${JSON.stringify(String(row.gpu_count).slice(0, 40))} as its pool size, not a number of GPUs (0 to ${MAX_POOL_SIZE}). Run 'canhazgpu admin --gpus <count> --force' to repair it.`,
      );
    }
    return row.gpu_count;
  }

  private loadSnapshot(): PoolSnapshot {
    const gpuCount = this.poolSize();
    const rows = this.sql('SELECT * FROM gpus WHERE id < ? ORDER BY id').all(gpuCount) as GpuRecord[];
    const byId = new Map(rows.map((r) => [r.id, toSlot(r)]));
    const slots = Array.from(
      { length: gpuCount },
      (_, id) => byId.get(id) ?? { id, reservation: null, lastReleased: null },
    );
    const { policy } = this.sql('SELECT * FROM pool WHERE id = 1').get() as { policy?: unknown };
    return { gpuCount, slots, ...(isAllocationPolicy(policy) ? { policy } : {}) };
  }

  async initialize(gpuCount: number, force: boolean, now: number): Promise<InitializeResult> {
    return this.write(() => {
      this.db.exec(schema());
      addMissingColumns(this.db);
      const existing = this.db.prepare('SELECT gpu_count FROM pool WHERE id = 1').get() as
        | { gpu_count: number }
        | undefined;
      if (existing && !force) throw new PoolAlreadyInitializedError(existing.gpu_count);
      if (existing) this.recordForced(now);
      this.db.prepare('DELETE FROM gpus').run();
      // An upsert, not a replace: the pool's policy (columns.ts) outlives a forced reinitialisation.
      this.db
        .prepare(`INSERT INTO pool (id, gpu_count, initialized_at) VALUES (1, ?, ?)
          ON CONFLICT (id) DO UPDATE SET gpu_count = excluded.gpu_count, initialized_at = excluded.initialized_at`)
        .run(gpuCount, now);
      const insert = this.db.prepare('INSERT INTO gpus (id) VALUES (?)');
      for (let id = 0; id < gpuCount; id++) insert.run(id);
      return { previousCount: existing?.gpu_count ?? null };
    });
  }

  /** What a forced reset clears: reservations that lapsed end as they lapsed, the others as forced. */
  private recordForced(now: number): void {
    let slots: PoolSnapshot['slots'];
    try {
      slots = this.loadSnapshot().slots;
    } catch {
      return; // a pool size edited into junk: admin --force repairs it, there is nothing readable to record
    }
    const live = defaultLiveness();
    const records = slots.flatMap((s) =>
      s.reservation ? [endedRecord(s.reservation, s.id, now, 'forced', live)] : [],
    );
    this.record(records, now);
  }

  private record(records: Parameters<typeof recordHistory>[1], now: number): void {
    recordHistory(this.sql, records, now, this.historyRetentionMs);
  }

  /** The file's owner: the pool table is writable by every user, the file's owner is not theirs to change. */
  async poolOwner(): Promise<PoolOwner | null> {
    const uid = this.path === ':memory:' ? null : fileOwner(this.path);
    return uid === null ? null : { uid, user: '', host: hostname() };
  }

  async snapshot(): Promise<PoolSnapshot> {
    return this.read(() => {
      if (!this.hasSchema()) throw new PoolNotInitializedError();
      return this.loadSnapshot();
    });
  }

  private hasSchema(): boolean {
    this.schemaSeen ||=
      this.sql("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'pool'").get() !== undefined;
    return this.schemaSeen;
  }

  private queueStore: SqliteQueue | null = null;

  /** The wait queue, in tables of this file (sqlite-queue.ts). */
  get queue(): QueueStore {
    this.queueStore ??= new SqliteQueue({
      read: (fn) => this.read(() => fn(this.sql)),
      write: (fn) => this.write(() => fn(this.sql)),
      db: () => this.db,
      sql: () => this.sql,
    });
    return this.queueStore;
  }

  async allocate(req: AllocationRequest): Promise<number[]> {
    return this.write(() => {
      if (!this.hasSchema()) throw new PoolNotInitializedError();
      if (req.queueSeen) checkQueueSeen(this.sql, req.queueSeen);
      const { slots } = this.loadSnapshot();
      const ids = chooseGpus(slots, req);
      // A lapsed reservation still in a slot this grant takes ends in the history now, as it lapsed.
      const lapsed = ids.flatMap((id) => {
        const old = slots[id]?.reservation;
        const end = old ? lapse(old, req.now, req.liveness) : null;
        return old && end ? [recordOf(old, id, end.end, end.reason)] : [];
      });
      this.record(lapsed, req.now);
      const grant =
        this.sql(`INSERT INTO gpus (id, user, type, start_time, last_heartbeat, expiry_time, token, owner_host, owner_pid, owner_start, note)
        VALUES (@id, @user, @type, @start, @heartbeat, @expiry, @token, @host, @pid, @pidStart, @note)
        ON CONFLICT (id) DO UPDATE SET user = excluded.user, type = excluded.type, start_time = excluded.start_time,
          last_heartbeat = excluded.last_heartbeat, expiry_time = excluded.expiry_time, token = excluded.token,
          owner_host = excluded.owner_host, owner_pid = excluded.owner_pid, owner_start = excluded.owner_start,
          note = excluded.note`);
      for (const id of ids) {
        const r = reservationFor(slots[id]!, req);
        grant.run({
          id,
          user: r.user,
          type: r.type,
          start: r.startTime,
          heartbeat: r.lastHeartbeat,
          expiry: r.expiryTime,
          token: r.token,
          host: r.owner?.host ?? null,
          pid: r.owner?.pid ?? null,
          pidStart: r.owner?.startTime ?? null,
          note: r.note ?? null,
        });
      }
      if (req.queueSeen) removeGranted(this.sql, req.token);
      return ids;
    });
  }

  async setOwner(token: string, owner: OwnerRef): Promise<number[]> {
    return this.write(() => {
      const rows = this.sql(
        'UPDATE gpus SET owner_host = ?, owner_pid = ?, owner_start = ? WHERE token = ? AND user IS NOT NULL RETURNING id',
      ).all(owner.host, owner.pid, owner.startTime, token) as Array<{ id: number }>;
      return rows.map((r) => r.id).sort((a, b) => a - b);
    });
  }

  async heartbeat(token: string, now: number): Promise<number[]> {
    return this.write(() => {
      const rows = this.sql('UPDATE gpus SET last_heartbeat = ? WHERE token = ? AND user IS NOT NULL RETURNING id').all(
        now,
        token,
      ) as Array<{ id: number }>;
      return rows.map((r) => r.id).sort((a, b) => a - b);
    });
  }

  async releaseToken(token: string, now: number, reason: EndReason = 'released'): Promise<number[]> {
    return this.write(() => {
      const held = this.sql('SELECT * FROM gpus WHERE token = ? AND user IS NOT NULL ORDER BY id').all(
        token,
      ) as GpuRecord[];
      // Its own holder ends it: a run is alive, only a manual reservation past its expiry had lapsed.
      const live = defaultLiveness(NO_TOKENS, new Set([token]));
      const records = held.flatMap((row) => {
        const { reservation } = toSlot(row);
        return reservation ? [endedRecord(reservation, row.id, now, reason, live)] : [];
      });
      this.record(records, now);
      const rows = this.sql(`UPDATE gpus SET ${RELEASED} WHERE token = ? AND user IS NOT NULL RETURNING id`).all(
        now,
        token,
      ) as Array<{ id: number }>;
      return rows.map((r) => r.id).sort((a, b) => a - b);
    });
  }

  async releaseManual(
    user: string,
    now: number,
    liveness: Liveness,
    only?: readonly number[] | null,
  ): Promise<number[]> {
    return this.write(() => {
      const mine = this.ownManual(user, now, liveness).filter((s) => !only || only.includes(s.id));
      this.record(
        mine.map((s) => recordOf(s.reservation!, s.id, now, 'released')),
        now,
      );
      const clear = this.sql(`UPDATE gpus SET ${RELEASED} WHERE id = ?`);
      for (const s of mine) clear.run(now, s.id);
      return mine.map((s) => s.id);
    });
  }

  /** The slots the user's active manual reservations hold; call inside a transaction. */
  private ownManual(user: string, now: number, liveness: Liveness): GpuSlot[] {
    if (!this.hasSchema()) throw new PoolNotInitializedError();
    return this.loadSnapshot().slots.filter((s) => {
      const r = activeReservation(s, now, liveness);
      return r !== null && r.user === user && r.type === 'manual';
    });
  }

  async extendManual(user: string, now: number, liveness: Liveness, byMs: number): Promise<ExtendedGpu[]> {
    return this.write(() => {
      const mine = this.ownManual(user, now, liveness);
      const extend = this.sql('UPDATE gpus SET expiry_time = ? WHERE id = ?');
      return mine.map((s) => {
        const expiryTime = (s.reservation!.expiryTime ?? now) + byMs;
        extend.run(expiryTime, s.id);
        return { id: s.id, expiryTime };
      });
    });
  }

  async setPolicy(policy: AllocationPolicy): Promise<void> {
    await this.write(() => {
      this.poolSize(); // throws when the pool was never set up
      this.sql('UPDATE pool SET policy = ? WHERE id = 1').run(policy);
    });
  }

  // --- the shared GPU reading of each host, and the lock that elects its one prober (the table is made by
  // the first reading, so stores set up before it need no admin)

  private readingsTable(): void {
    this.sql(`CREATE TABLE IF NOT EXISTS readings (host TEXT PRIMARY KEY, taken_at INTEGER, usage_json TEXT,
      probe_lock_until INTEGER, prober TEXT)`).run();
    if (this.readingColumnsSeen) return;
    addMissingColumns(this.db); // a readings table made before the prober was named
    this.readingColumnsSeen = true;
  }

  private hasReadings(): boolean {
    return !!this.sql("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'readings'").get();
  }

  async latestReading(host: string): Promise<GpuReading | null> {
    return this.read(() => {
      if (!this.hasReadings()) return null;
      const row = this.sql('SELECT taken_at, usage_json FROM readings WHERE host = ?').get(host) as
        | { taken_at: number | null; usage_json: string | null }
        | undefined;
      return row ? decodeReading(host, row.taken_at, row.usage_json) : null;
    });
  }

  async saveReading(reading: GpuReading): Promise<void> {
    await this.write(() => {
      this.readingsTable();
      this.sql(`INSERT INTO readings (host, taken_at, usage_json) VALUES (?, ?, ?)
        ON CONFLICT (host) DO UPDATE SET taken_at = excluded.taken_at, usage_json = excluded.usage_json,
          probe_lock_until = NULL, prober = NULL`).run(reading.host, reading.takenAt, encodeUsage(reading.usage));
    });
  }

  // The prober is kept with the end of its lock ("<until> <prober>"): an older version's claim moves the end and
  // leaves the name, which then names no one, so a live older prober is never taken for a dead one.

  async claimProbe(
    host: string,
    now: number,
    holdMs: number,
    prober?: OwnerRef,
    replacing?: OwnerRef,
  ): Promise<boolean> {
    const until = Math.ceil(now + holdMs);
    return this.write(() => {
      this.readingsTable();
      const claimed = this.sql(`INSERT INTO readings (host, probe_lock_until, prober) VALUES (?, ?, ?)
        ON CONFLICT (host) DO UPDATE SET probe_lock_until = excluded.probe_lock_until, prober = excluded.prober
        WHERE probe_lock_until IS NULL OR probe_lock_until <= ? OR prober = probe_lock_until || ' ' || ?`).run(
        host,
        until,
        prober ? `${until} ${encodeProber(prober)}` : null,
        now,
        replacing ? encodeProber(replacing) : null, // = NULL matches nothing: an unnamed holder is waited out
      );
      return claimed.changes === 1;
    });
  }

  async proberOf(host: string, now: number): Promise<OwnerRef | null> {
    return this.read(() => {
      if (!this.hasReadings()) return null;
      // SELECT *: a table of an older version has no prober column, and names no one.
      const row = this.sql('SELECT * FROM readings WHERE host = ? AND probe_lock_until > ?').get(host, now) as
        | { probe_lock_until: number; prober?: string | null }
        | undefined;
      const prefix = `${row?.probe_lock_until} `;
      return row?.prober?.startsWith(prefix) ? decodeProber(row.prober.slice(prefix.length)) : null;
    });
  }

  async history(from: number, to: number): Promise<HistoryRecord[]> {
    return this.read(() => readHistory(this.sql, from, to));
  }

  async addUnreserved(uses: readonly UnreservedUse[], now: number): Promise<void> {
    if (uses.length === 0) return;
    await this.write(() => addUnreserved(this.sql, uses, now, this.historyRetentionMs));
  }

  async unreserved(from: number, to: number): Promise<UnreservedUse[]> {
    return this.read(() => readUnreserved(this.sql, from, to));
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

/**
 * A private store, written by its owner alone, uses WAL (fastest; SQLite makes its files as the owner).
 * A shared store's journal, which `admin` made, is kept between transactions (PERSIST), so no command creates
 * a file in the store's directory. Rollback modes are not stored in the file: every connection sets it first.
 * Setting it reads the schema, and a journal left by a killed write is rolled back on that read in
 * SQLite's default mode, which deletes the journal: root may, and the next command makes it again
 * (store-files.ts); anyone else is told to run a command as root (storeError). A store of older
 * versions in WAL mode was refused before it was opened, except by `admin`, which converts it here.
 */
function setJournal(db: Database.Database, path: string, layout: StoreLayout): void {
  if (layout === 'private') {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    return;
  }
  if (String(db.pragma('journal_mode = PERSIST', { simple: true })) !== 'persist') {
    throw new StoreUnavailableError(
      `Cannot switch the GPU store ${path} to its kept journal while another canhazgpu has it open in WAL mode; stop it and run admin again.`,
    );
  }
  // Syncs at the critical moments only (SQLite: safe on current journaling filesystems); FULL made commits 3x slower here.
  db.pragma('synchronous = NORMAL');
  // Every local user may write the file: its schema's views and triggers must not call functions.
  db.pragma('trusted_schema = OFF');
}

function storeError(err: unknown, path: string, action: 'open' | 'read' | 'write'): unknown {
  const code = sqliteCode(err);
  if (code === null) return err; // a domain error, or a bug: not ours to rename
  const reason = (err as Error).message;
  if (code.startsWith('SQLITE_READONLY') || code === 'SQLITE_PERM' || code.startsWith('SQLITE_CANTOPEN')) {
    return new StoreUnavailableError(
      `Cannot ${action} the GPU store ${path} (${reason}). Make it and its journal readable and writable by every user (chmod a+rw ${path} ${journalOf(path)}), or choose another store with --store.`,
    );
  }
  if (code === 'SQLITE_IOERR_DELETE') {
    // SQLite rolls a hot journal back before the connection's journal mode applies, and then deletes it,
    // which only root (the directory's owner) may: one root command rolls it back for everyone.
    return new StoreUnavailableError(
      `An interrupted write left a journal in the GPU store ${path} that only root can roll back: run 'canhazgpu status' as root.`,
    );
  }
  if (code === 'SQLITE_BUSY') {
    return new StoreUnavailableError(
      `The GPU store ${path} stayed locked for ${BUSY_TIMEOUT_MS / 1000}s (${reason}); another canhazgpu may be stuck. Try again.`,
    );
  }
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return new StoreUnavailableError(
      `The GPU store ${path} is not a valid canhazgpu database (${reason}). Move it aside and run 'canhazgpu admin --gpus <count>'.`,
    );
  }
  return new StoreUnavailableError(`Cannot ${action} the GPU store ${path} (${reason}).`);
}
