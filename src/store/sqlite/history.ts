// The history table: one row per GPU of every reservation that ended, written in the transaction that
// ends it. Every local user may write the file, so a row edited into nonsense is skipped on reading.
import { type HistoryRecord, isEndReason } from '../../domain/history.js';
import type { Sql } from './statements.js';

/** Made by the first ending that records, so stores set up before history existed need no admin. */
function historyTable(sql: Sql): void {
  sql(`CREATE TABLE IF NOT EXISTS history (user TEXT, gpu_id INTEGER, type TEXT, note TEXT, start_time INTEGER,
    end_time INTEGER, reason TEXT, reservation_id TEXT)`).run();
  sql('CREATE INDEX IF NOT EXISTS history_by_end ON history (end_time)').run();
}

/** Adds `records` and drops those that ended before `now - retentionMs`; the caller holds the transaction. */
export function recordHistory(sql: Sql, records: readonly HistoryRecord[], now: number, retentionMs: number): void {
  if (records.length === 0) return;
  historyTable(sql);
  const insert = sql(`INSERT INTO history (user, gpu_id, type, note, start_time, end_time, reason, reservation_id)
    VALUES (@user, @gpuId, @type, @note, @startTime, @endTime, @reason, @reservationId)`);
  for (const r of records) insert.run(r);
  sql('DELETE FROM history WHERE end_time < ?').run(now - retentionMs);
}

interface HistoryRow {
  user: unknown;
  gpu_id: unknown;
  type: unknown;
  note: unknown;
  start_time: unknown;
  end_time: unknown;
  reason: unknown;
  reservation_id: unknown;
}

const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function toRecord(row: HistoryRow): HistoryRecord | null {
  const { user, gpu_id, type, start_time, end_time, reason } = row;
  if (typeof user !== 'string' || !Number.isInteger(gpu_id) || (type !== 'run' && type !== 'manual')) return null;
  if (!isTime(start_time) || !isTime(end_time) || !isEndReason(reason)) return null;
  return {
    user,
    gpuId: gpu_id as number,
    type,
    note: typeof row.note === 'string' ? row.note : '',
    startTime: start_time,
    endTime: end_time,
    reason,
    reservationId: typeof row.reservation_id === 'string' ? row.reservation_id : null,
  };
}

export function readHistory(sql: Sql, from: number, to: number): HistoryRecord[] {
  if (!sql("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'history'").get()) return [];
  const rows = sql('SELECT * FROM history WHERE end_time >= ? AND start_time <= ? ORDER BY end_time, gpu_id').all(
    from,
    to,
  ) as HistoryRow[];
  return rows.map(toRecord).filter((r): r is HistoryRecord => r !== null);
}
