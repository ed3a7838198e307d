// GPU-hours per user over a window: the history's records and the reservations still in the pool's slots
// (held ones counted up to now, lapsed ones a grant has not yet overwritten as they lapsed), each counted
// only for its part inside the window.
import { DAY_MS, type EndReason, type HistoryRecord, lapse, recordOf } from './history.js';
import { activeReservation, type Liveness } from './liveness.js';
import type { GpuSlot, ReservationType } from './reservation.js';
import { type UnreservedUse, unreservedHours } from './unreserved.js';

export const DEFAULT_REPORT_DAYS = 30;
export const MAX_REPORT_DAYS = 36_500;
const HOUR_MS = 3_600_000;

/** Reasons a report counts apart: the reservation did not end by its holder giving it back. */
export type UnusualEnd = Exclude<EndReason, 'released'>;

export interface UserUsage {
  user: string;
  gpuHours: number;
  /** The user's part of every user's GPU-hours in the window, 0 to 1. */
  share: number;
  /** Reservations (not GPUs) that overlap the window, by type. */
  runs: number;
  manual: number;
  /** Of those, the ones still holding their GPUs now. */
  inProgress: number;
  ended: Record<UnusualEnd, number>;
}

export interface Report {
  from: number;
  to: number;
  days: number;
  totalGpuHours: number;
  /** Most GPU-hours first, then by name. */
  users: UserUsage[];
  /** GPU-hours used without a reservation (seen by the agent's readings), most first, then by name. */
  unreserved: UnreservedUsage[];
  totalUnreservedGpuHours: number;
}

export interface UnreservedUsage {
  user: string;
  gpuHours: number;
}

export interface ReportInput {
  records: readonly HistoryRecord[];
  slots: readonly GpuSlot[];
  now: number;
  liveness: Liveness;
  days: number;
  /** Use seen without a reservation, per user and hour (absent: none kept). */
  unreserved?: readonly UnreservedUse[];
}

/** A record or a reservation still in a slot: `reason` null while it holds its GPU. */
type Span = Omit<HistoryRecord, 'reason'> & { reason: EndReason | null };

function spansInSlots(slots: readonly GpuSlot[], now: number, liveness: Liveness): Span[] {
  return slots.flatMap((slot): Span[] => {
    const r = slot.reservation;
    if (!r) return [];
    if (activeReservation(slot, now, liveness)) return [{ ...recordOf(r, slot.id, now, 'released'), reason: null }];
    const lapsed = lapse(r, now, liveness);
    return lapsed ? [recordOf(r, slot.id, lapsed.end, lapsed.reason)] : [];
  });
}

const noEnds = (): Record<UnusualEnd, number> => ({ expired: 0, stale: 0, crashed: 0, forced: 0, timed_out: 0 });

export function buildReport(input: ReportInput): Report {
  const to = input.now;
  const from = to - input.days * DAY_MS;
  // Read one after the other, a reservation ended in between is in both: its record wins.
  const recorded = new Set(input.records.map((r) => `${r.reservationId}\0${r.gpuId}`));
  const inSlots = spansInSlots(input.slots, input.now, input.liveness).filter(
    (s) => s.reservationId === null || !recorded.has(`${s.reservationId}\0${s.gpuId}`),
  );
  const spans = [...input.records, ...inSlots];
  const byUser = new Map<string, UserUsage>();
  // One reservation counts once however many GPUs it held; a record of another tool is one of its own.
  const counted = new Set<string>();
  spans.forEach((span, n) => {
    const inside = Math.min(span.endTime, to) - Math.max(span.startTime, from);
    if (inside < 0) return;
    const usage = byUser.get(span.user) ?? {
      user: span.user,
      gpuHours: 0,
      share: 0,
      runs: 0,
      manual: 0,
      inProgress: 0,
      ended: noEnds(),
    };
    byUser.set(span.user, usage);
    usage.gpuHours += inside / HOUR_MS;
    const key = span.reservationId !== null ? `${span.user}\0${span.reservationId}` : `#${n}`;
    if (counted.has(key)) return;
    counted.add(key);
    countReservation(usage, span.type, span.reason);
  });
  const users = [...byUser.values()];
  const total = users.reduce((sum, u) => sum + u.gpuHours, 0);
  for (const u of users) u.share = total > 0 ? u.gpuHours / total : 0;
  users.sort((a, b) => b.gpuHours - a.gpuHours || byName(a, b));
  const unreserved = [...unreservedHours(input.unreserved ?? [], from, to)]
    .map(([user, gpuHours]) => ({ user, gpuHours }))
    .sort((a, b) => b.gpuHours - a.gpuHours || byName(a, b));
  const totalUnreservedGpuHours = unreserved.reduce((sum, u) => sum + u.gpuHours, 0);
  return { from, to, days: input.days, totalGpuHours: total, users, unreserved, totalUnreservedGpuHours };
}

function byName(a: { user: string }, b: { user: string }): number {
  return a.user < b.user ? -1 : a.user > b.user ? 1 : 0;
}

function countReservation(usage: UserUsage, type: ReservationType, reason: EndReason | null): void {
  if (type === 'run') usage.runs++;
  else usage.manual++;
  if (reason === null) usage.inProgress++;
  else if (reason !== 'released') usage.ended[reason]++;
}

/** Parses `--days`: a whole number of days from 1 to 100 years, or the problem. */
export function parseReportDays(raw: string | undefined): number | string {
  if (raw === undefined) return DEFAULT_REPORT_DAYS;
  const text = raw.trim();
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1 || value > MAX_REPORT_DAYS)
    return `--days must be a whole number from 1 to ${MAX_REPORT_DAYS}, got '${raw}'`;
  return value;
}
