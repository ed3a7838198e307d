// The unreserved table: seconds of GPU use seen without a reservation, one row per user and hour.
import { HOUR_MS, toUnreservedUse, type UnreservedUse } from '../../domain/unreserved.js';
import type { Sql } from './statements.js';

const hasTable = (sql: Sql) => !!sql("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'unreserved'").get();

/** Adds `uses` and drops hours older than `now - retentionMs`; the caller holds the transaction. */
export function addUnreserved(sql: Sql, uses: readonly UnreservedUse[], now: number, retentionMs: number): void {
  if (uses.length === 0) return;
  // Made by the first use seen, so stores set up before it need no admin.
  sql(`CREATE TABLE IF NOT EXISTS unreserved (user TEXT, hour_start INTEGER, seconds REAL,
    PRIMARY KEY (user, hour_start))`).run();
  const add = sql(`INSERT INTO unreserved (user, hour_start, seconds) VALUES (?, ?, ?)
    ON CONFLICT (user, hour_start) DO UPDATE SET seconds = seconds + excluded.seconds`);
  for (const u of uses) add.run(u.user, u.hourStart, u.seconds);
  sql('DELETE FROM unreserved WHERE hour_start < ?').run(now - retentionMs - HOUR_MS);
}

export function readUnreserved(sql: Sql, from: number, to: number): UnreservedUse[] {
  if (!hasTable(sql)) return [];
  const rows = sql('SELECT user, hour_start, seconds FROM unreserved WHERE hour_start > ? AND hour_start <= ?').all(
    from - HOUR_MS,
    to,
  ) as { user: unknown; hour_start: unknown; seconds: unknown }[];
  return rows.map((r) => toUnreservedUse(r.user, r.hour_start, r.seconds)).filter((u) => u !== null);
}
