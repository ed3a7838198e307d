// What the store keeps of every reservation that ended: one record per GPU, with how it ended.
import { type Liveness, reservationEnd } from './liveness.js';
import type { Reservation, ReservationType } from './reservation.js';

/**
 * How a reservation ended: given back (`released`), its manual duration over (`expired`), a run whose
 * heartbeat went stale (`stale`) or whose owner process died (`crashed`), cleared by `admin --force`
 * (`forced`), or a `run --timeout` that ran out (`timed_out`).
 */
export const END_REASONS = ['released', 'expired', 'stale', 'crashed', 'forced', 'timed_out'] as const;
export type EndReason = (typeof END_REASONS)[number];

export interface HistoryRecord {
  user: string;
  gpuId: number;
  type: ReservationType;
  /** The reservation's note (`--note`); empty when it had none. */
  note: string;
  /** Unix milliseconds. */
  startTime: number;
  endTime: number;
  reason: EndReason;
  /** The reservation id shared by the GPUs of one grant; null for records of the other tools. */
  reservationId: string | null;
}

export const DEFAULT_HISTORY_DAYS = 90;
export const DAY_MS = 86_400_000;

export function isEndReason(value: unknown): value is EndReason {
  return typeof value === 'string' && (END_REASONS as readonly string[]).includes(value);
}

/** When and why a reservation that still sits in its slot stopped holding it, or null while it holds. */
export function lapse(r: Reservation, now: number, live: Liveness): { end: number; reason: EndReason } | null {
  const end = reservationEnd(r, now, live);
  if (end === null) return null;
  if (r.type === 'manual') return { end, reason: 'expired' };
  return { end, reason: r.token !== null && live.deadTokens.has(r.token) ? 'crashed' : 'stale' };
}

/**
 * The record of a reservation ended now for `reason`; one that had already lapsed (a manual one past
 * its expiry) keeps the moment and reason it lapsed for.
 */
export function endedRecord(
  r: Reservation,
  gpuId: number,
  now: number,
  reason: EndReason,
  live: Liveness,
): HistoryRecord {
  const lapsed = lapse(r, now, live);
  const end = lapsed ?? { end: now, reason };
  return recordOf(r, gpuId, end.end, end.reason);
}

export function recordOf(r: Reservation, gpuId: number, endTime: number, reason: EndReason): HistoryRecord {
  return {
    user: r.user,
    gpuId,
    type: r.type,
    note: r.note ?? '',
    startTime: r.startTime,
    endTime: Math.max(endTime, r.startTime),
    reason,
    reservationId: r.token,
  };
}
