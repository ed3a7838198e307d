// The wait queue in the SQLite store: two tables made by the first waiter (stores set up before them
// need no admin). A waiter sees other processes' commits through `PRAGMA data_version`, which reads
// the file's change counter: polling it every few milliseconds costs microseconds and no writes. A
// commit wakes a waiter only when it changed who holds which GPU or who waits (not a heartbeat: with
// every waiter beating every 2 s, each would otherwise wake all the others).
import type Database from 'better-sqlite3';
import { QueueChangedError } from '../../domain/errors.js';
import type { QueueStore } from '../../domain/ports.js';
import type { Backfill, QueueEntry } from '../../domain/queue.js';
import type { Sql } from './statements.js';

/** What the queue borrows from its SqliteStore: its lock-aware transactions and current connection. */
export interface SqliteAccess {
  read<T>(fn: (sql: Sql) => T): Promise<T>;
  write<T>(fn: (sql: Sql) => T): Promise<T>;
  db(): Database.Database;
  /** The current connection's statement cache. */
  sql(): Sql;
}

const TABLES = `CREATE TABLE IF NOT EXISTS queue (id TEXT PRIMARY KEY, user TEXT NOT NULL, actual_user TEXT NOT NULL,
  requested_count INTEGER NOT NULL, requested_ids TEXT, reservation_type TEXT NOT NULL, duration_ms INTEGER,
  note TEXT, enqueued_at INTEGER NOT NULL, last_heartbeat INTEGER NOT NULL, wait_until INTEGER);
CREATE TABLE IF NOT EXISTS queue_backfills (passed TEXT NOT NULL, user TEXT NOT NULL, gpus TEXT NOT NULL,
  at INTEGER NOT NULL, until INTEGER NOT NULL)`;

/** How often a waiter looks at the file's change counter: the hand-over target is 100 ms. */
const POLL_MS = 5;
/** How long a look at a store that cannot be read waits before it says so (its caller then looks again). */
const UNREADABLE_PAUSE_MS = 50;

interface QueueRow {
  id: string;
  user: string;
  actual_user: string;
  requested_count: number;
  requested_ids: string | null;
  reservation_type: string;
  duration_ms: number | null;
  note: string | null;
  enqueued_at: number;
  last_heartbeat: number;
  wait_until: number | null;
}

function toEntry(r: QueueRow): QueueEntry {
  return {
    id: r.id,
    user: r.user,
    actualUser: r.actual_user,
    count: r.requested_count,
    requestedIds: r.requested_ids === null ? null : (JSON.parse(r.requested_ids) as number[]),
    type: r.reservation_type === 'manual' ? 'manual' : 'run',
    durationMs: r.duration_ms,
    note: r.note,
    enqueuedAt: r.enqueued_at,
    lastHeartbeat: r.last_heartbeat,
    waitUntil: r.wait_until,
    ours: true,
  };
}

const hasQueue = (sql: Sql) =>
  sql("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'queue'").get() !== undefined;
const ORDERED = 'SELECT * FROM queue ORDER BY enqueued_at, id';
/**
 * Who holds which GPU until when, and who waits: what a waiter, and the agent's status board, must look again for
 * (heartbeats left out).
 */
const HOLDERS = `SELECT group_concat(id || ':' || coalesce(token, '') || ':' || coalesce(expiry_time, '') || ':' ||
  coalesce(last_released, ''), ',') AS f FROM gpus`;
const WAITERS = "SELECT group_concat(id, ',') AS f FROM queue";

/** Inside the allocation's transaction, once granted: the waiter whose id is the token leaves the queue. */
export function removeGranted(sql: Sql, token: string): void {
  if (!hasQueue(sql)) return;
  sql('DELETE FROM queue WHERE id = ?').run(token);
  sql('DELETE FROM queue_backfills WHERE passed = ?').run(token);
}

/** Inside the allocation's transaction: throws QueueChangedError unless the queue holds exactly `seen`. */
export function checkQueueSeen(sql: Sql, seen: readonly string[]): void {
  const ids = hasQueue(sql) ? (sql(ORDERED).all() as QueueRow[]).map((r) => r.id) : [];
  if (ids.length !== seen.length || ids.some((id, i) => id !== seen[i])) throw new QueueChangedError();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class SqliteQueue implements QueueStore {
  constructor(private readonly access: SqliteAccess) {}

  private writeTables<T>(fn: (sql: Sql) => T): Promise<T> {
    return this.access.write((sql) => {
      this.access.db().exec(TABLES);
      return fn(sql);
    });
  }

  async enqueue(e: QueueEntry): Promise<void> {
    await this.writeTables((sql) =>
      sql(`INSERT INTO queue (id, user, actual_user, requested_count, requested_ids, reservation_type, duration_ms,
        note, enqueued_at, last_heartbeat, wait_until) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
        e.id,
        e.user,
        e.actualUser,
        e.count,
        e.requestedIds === null ? null : JSON.stringify(e.requestedIds),
        e.type,
        e.durationMs,
        e.note,
        e.enqueuedAt,
        e.lastHeartbeat,
        e.waitUntil,
      ),
    );
  }

  waiters(): Promise<QueueEntry[]> {
    return this.access.read((sql) => (hasQueue(sql) ? (sql(ORDERED).all() as QueueRow[]).map(toEntry) : []));
  }

  beat(id: string, now: number): Promise<boolean> {
    return this.writeTables(
      (sql) => sql('UPDATE queue SET last_heartbeat = ? WHERE id = ?').run(now, id).changes === 1,
    );
  }

  async leave(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.writeTables((sql) => {
      for (const id of ids) {
        sql('DELETE FROM queue WHERE id = ?').run(id);
        sql('DELETE FROM queue_backfills WHERE passed = ?').run(id);
      }
    });
  }

  async recordBackfill(b: Backfill): Promise<void> {
    await this.writeTables((sql) =>
      sql('INSERT INTO queue_backfills (passed, user, gpus, at, until) VALUES (?, ?, ?, ?, ?)').run(
        b.passed,
        b.user,
        JSON.stringify(b.gpus),
        b.at,
        b.until,
      ),
    );
  }

  backfills(): Promise<Backfill[]> {
    return this.access.read((sql) => {
      if (!hasQueue(sql)) return [];
      const rows = sql('SELECT * FROM queue_backfills ORDER BY at').all() as Array<
        Omit<Backfill, 'gpus'> & { gpus: string }
      >;
      return rows.map((r) => ({ ...r, gpus: JSON.parse(r.gpus) as number[] }));
    });
  }

  /**
   * The change counter and the holders as the last wait left them: another connection's commit between two waits
   * (one caller looking at the pool in between) counts for the next, which then resolves at once. This
   * connection's own commits move the holders but not the counter: whoever made them has told of them.
   */
  private lastSeen: { version: number; holders: string } | null = null;

  async changed(ms: number): Promise<boolean> {
    const db = () => this.access.db();
    // Locked, replaced or emptied: null, which counts as a change (the caller looks again).
    const attempt = <T>(fn: () => T): T | null => {
      try {
        return fn();
      } catch {
        return null;
      }
    };
    const version = () => attempt(() => Number(db().pragma('data_version', { simple: true })));
    const column = (text: string) => (this.access.sql()(text).get() as { f: string | null }).f ?? '';
    const fingerprint = () => attempt(() => `${column(HOLDERS)}|${hasQueue(this.access.sql()) ? column(WAITERS) : ''}`);
    let seen = version();
    const start = fingerprint();
    const before = this.lastSeen;
    if (seen === null || start === null) {
      this.lastSeen = null;
      // Not at once: a store that stays unreadable (truncated, say) must not spin its watcher.
      await sleep(Math.min(ms, UNREADABLE_PAUSE_MS));
      return true;
    }
    this.lastSeen = { version: seen, holders: start };
    if (before && before.version !== seen && before.holders !== start) return true;
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      await sleep(Math.min(POLL_MS, Math.max(0, deadline - Date.now())));
      const now = version();
      if (now === seen) continue;
      const holders = now === null ? null : fingerprint();
      this.lastSeen = now === null || holders === null ? null : { version: now, holders };
      if (holders !== start) return true;
      seen = now;
    }
    return false;
  }
}
