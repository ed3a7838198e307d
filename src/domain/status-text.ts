// The original manual's status texts, byte for byte: people's scripts grep and parse them.
import { formatCompactDuration, formatDuration, formatTrimmedDuration } from './duration.js';
import { printable } from './printable.js';
import { processUsers, type StatusRow } from './status.js';
import { firstModel, memoryUsedMb, type GpuUsage } from './usage.js';

const secondsBetween = (from: number, to: number) => (to - from) / 1000;
/** Time left rounds up, so a fresh 4h reservation says `expires in 4h 0m 0s`, never `3h 59m 59s`. */
const secondsUntil = (now: number, end: number) => Math.ceil((end - now) / 1000);

/** `alice`, `alice and bob`, `alice, bob and charlie`. */
export function joinWithAnd(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** `PID 12345 (python3), PID 67890 (jupyter) and 2 more`. */
export function describeProcesses(usage: GpuUsage): string {
  const shown = usage.processes.slice(0, 2).map((p) => `PID ${p.pid ?? '?'} (${p.name ?? 'unknown'})`);
  const hidden = usage.processes.length - shown.length;
  if (shown.length === 0) return 'unknown processes';
  return shown.join(', ') + (hidden > 0 ? ` and ${hidden} more` : '');
}

function usersPhrase(usage: GpuUsage): string {
  const users = processUsers(usage);
  if (users.length === 0) return 'user unknown';
  return users.length === 1 ? `user ${users[0]}` : `users ${joinWithAnd(users)}`;
}

function reservedValidation(usage: GpuUsage, thresholdMb: number): string | null {
  const used = memoryUsedMb(usage);
  if (usage.processes.length === 0 && used <= thresholdMb) return null;
  return `${used}MB, ${usage.processes.length} processes`;
}

/** Marks a GPU of the pool that the machine does not have (`admin --gpus` larger than nvidia-smi lists). */
const NOT_FOUND = 'not found by nvidia-smi';

/** A reservation's note, or null (none said, or not reserved). */
function noteOf(row: StatusRow): string | null {
  return row.state === 'reserved' && row.reservation.note ? printable(row.reservation.note) : null;
}

export function statusLine(row: StatusRow, now: number, thresholdMb: number): string {
  // The note goes last, so what the original manual prints, and scripts parse, stays as it was.
  const note = noteOf(row);
  return stateLine(row, now, thresholdMb) + (row.notFound ? ` [${NOT_FOUND}]` : '') + (note ? ` [note: ${note}]` : '');
}

function stateLine(row: StatusRow, now: number, thresholdMb: number): string {
  const head = `GPU ${row.gpuId}: `;
  switch (row.state) {
    case 'available': {
      const released =
        row.lastReleased === null
          ? ''
          : ` (last released ${formatDuration(secondsBetween(row.lastReleased, now))} ago)`;
      // The original prints the memory of a free GPU only when some is used.
      const used = row.usage ? memoryUsedMb(row.usage) : 0;
      const validated = used > 0 ? ` [validated: ${used}MB used]` : '';
      return `${head}AVAILABLE${released}${validated}`;
    }
    case 'reserved': {
      const r = row.reservation;
      const detail =
        r.type === 'manual'
          ? `manual, expires in ${formatDuration(secondsUntil(now, r.expiryTime ?? now))}`
          : `run, last heartbeat ${formatDuration(secondsBetween(r.lastHeartbeat, now))} ago`;
      let validated = '';
      if (row.usage)
        validated = ` [validated: ${reservedValidation(row.usage, thresholdMb) ?? 'no actual usage detected'}]`;
      return `${head}IN USE by ${r.user} for ${formatDuration(secondsBetween(r.startTime, now))} (${detail})${validated}`;
    }
    case 'unreserved':
      return `${head}IN USE WITHOUT RESERVATION by ${usersPhrase(row.usage)} - ${memoryUsedMb(row.usage)}MB used by ${describeProcesses(row.usage)}`;
    case 'unreadable':
      return `${head}UNKNOWN (${row.problem})`;
  }
}

export const TABLE_HEADER = ['GPU', 'STATUS', 'USER', 'DURATION', 'TYPE', 'MODEL', 'DETAILS', 'VALIDATION'] as const;
/** The column `status --table` adds, last, when some reservation has a note (as the Go rewrite's table). */
export const NOTE_HEADER = 'NOTE';

/** The NOTE column's cell: the note, or `-` as the Go rewrite prints none. */
export function noteCell(row: StatusRow): string {
  return noteOf(row) ?? '-';
}

/** The cells of the original manual's `status --table`. */
export function tableCells(row: StatusRow, now: number, thresholdMb: number): string[] {
  const cells = stateCells(row, now, thresholdMb);
  if (row.notFound) cells[7] = NOT_FOUND; // its VALIDATION, empty otherwise: there is no hardware to read
  return cells;
}

function stateCells(row: StatusRow, now: number, thresholdMb: number): string[] {
  const id = String(row.gpuId);
  const model = firstModel(row.usage ?? undefined) ?? '';
  switch (row.state) {
    case 'available': {
      const free =
        row.lastReleased === null ? 'free' : `free for ${formatTrimmedDuration(secondsBetween(row.lastReleased, now))}`;
      const used = row.usage ? memoryUsedMb(row.usage) : 0;
      return [id, 'available', '', free, '', model, '', used > 0 ? `${used}MB used` : ''];
    }
    case 'reserved': {
      const r = row.reservation;
      const details =
        r.type === 'manual'
          ? `expires in ${formatCompactDuration(secondsUntil(now, r.expiryTime ?? now))}`
          : `heartbeat ${formatCompactDuration(secondsBetween(r.lastHeartbeat, now))} ago`;
      const validation = row.usage ? (reservedValidation(row.usage, thresholdMb) ?? 'no usage detected') : '';
      return [
        id,
        'in use',
        r.user,
        formatCompactDuration(secondsBetween(r.startTime, now)),
        r.type,
        model,
        details,
        validation,
      ];
    }
    case 'unreserved':
      return [
        id,
        'in use',
        processUsers(row.usage).join(','),
        '',
        '',
        model,
        'WITHOUT RESERVATION',
        `${memoryUsedMb(row.usage)}MB used by ${describeProcesses(row.usage)}`,
      ];
    case 'unreadable':
      return [id, 'unknown', '', '', '', model, row.problem, ''];
  }
}

const toSeconds = (ms: number | null) => (ms === null ? null : Math.floor(ms / 1000));

/** `status --json`: the same rows, snake_case, Unix seconds. */
export function statusJson(row: StatusRow, now: number) {
  const usage = row.usage
    ? {
        memory_used_mb: memoryUsedMb(row.usage),
        memory_total_mb: row.usage.memoryTotalMb,
        name: row.usage.name,
        uuid: row.usage.uuid,
        processes: row.usage.processes.map((p) => ({
          pid: p.pid,
          name: p.name,
          user: p.user,
          used_memory_mb: p.usedMemoryMb,
          model: p.model,
        })),
      }
    : null;
  const base = { gpu_id: row.gpuId, status: row.state, hardware: usage, not_found_by_probe: row.notFound };
  switch (row.state) {
    case 'available':
      return { ...base, last_released: toSeconds(row.lastReleased) };
    case 'reserved': {
      const r = row.reservation;
      return {
        ...base,
        user: r.user,
        reservation_type: r.type,
        start_time: toSeconds(r.startTime),
        duration_seconds: Math.max(0, Math.floor((now - r.startTime) / 1000)),
        last_heartbeat: toSeconds(r.lastHeartbeat),
        expiry_time: toSeconds(r.expiryTime),
        ...(r.note ? { note: r.note } : {}),
      };
    }
    case 'unreserved':
      return { ...base, users: processUsers(row.usage) };
    case 'unreadable':
      return { ...base, problem: row.problem };
  }
}

/** `status` (one line a GPU) or `status --json`, as printed: what the command and the status board both print. */
export function statusText(rows: readonly StatusRow[], now: number, thresholdMb: number, json: boolean): string {
  if (json)
    return `${JSON.stringify(
      rows.map((r) => statusJson(r, now)),
      null,
      2,
    )}\n`;
  return rows.map((r) => `${statusLine(r, now, thresholdMb)}\n`).join('');
}
