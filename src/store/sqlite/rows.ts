// The gpus table's rows and the pool's slots they stand for. Every local user may write the file and
// SQLite keeps any type in any column, so a row edited into nonsense is read as unreadable, never used.
import type { GpuSlot, Reservation } from '../../domain/reservation.js';

export interface GpuRecord {
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
  /** Added later (columns.ts): absent in a store no write has touched since. */
  note?: unknown;
  last_released_by?: unknown;
}

/** Text, or null for anything else (every user may write the file). */
const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** Why a row cannot be read (the file is writable by every user, and SQLite keeps any type), or null. */
function unreadable(row: GpuRecord): string | null {
  for (const field of ['start_time', 'last_heartbeat', 'expiry_time', 'last_released'] as const) {
    const v: unknown = row[field];
    if (v !== null && !(typeof v === 'number' && Number.isFinite(v)))
      return `gpus row ${row.id}: unreadable ${field} ${JSON.stringify(String(v).slice(0, 40))}`;
  }
  if (row.user !== null && typeof row.user !== 'string') return `gpus row ${row.id}: user is not text`;
  if (row.type !== null && row.type !== 'run' && row.type !== 'manual')
    return `gpus row ${row.id}: unknown type ${JSON.stringify(String(row.type).slice(0, 20))}`;
  return null;
}

export function toSlot(row: GpuRecord): GpuSlot {
  const problem = unreadable(row);
  if (problem) return { id: row.id, reservation: null, lastReleased: null, problem };
  let reservation: Reservation | null = null;
  const note = text(row.note);
  if (row.user !== null && row.type !== null) {
    reservation = {
      user: row.user,
      type: row.type,
      startTime: row.start_time ?? 0,
      lastHeartbeat: row.last_heartbeat ?? row.start_time ?? 0,
      expiryTime: row.expiry_time,
      token: row.token,
      owner:
        row.owner_host !== null && row.owner_pid !== null
          ? { host: row.owner_host, pid: row.owner_pid, startTime: row.owner_start }
          : null,
      ...(note ? { note } : {}),
    };
  }
  return { id: row.id, reservation, lastReleased: row.last_released, lastReleasedBy: text(row.last_released_by) };
}

/** What a released slot's columns are set to. */
export const CLEARED = `user = NULL, type = NULL, start_time = NULL, last_heartbeat = NULL, expiry_time = NULL,
  token = NULL, owner_host = NULL, owner_pid = NULL, owner_start = NULL, note = NULL`;

/** A release's columns: cleared, released now (the statement's first parameter), by the user who held it. */
export const RELEASED = `${CLEARED}, last_released = ?, last_released_by = user`;
