// The wait queue: requests that wait, first come first served, for GPUs that are not free yet. Times
// are Unix milliseconds. The fields follow the Go rewrite's QueueEntry (internal/types/types.go of
// russellb/canhazgpu), so on a shared Redis each tool lists the other's waiters.
import type { ReservationType } from './reservation.js';

export interface QueueEntry {
  /** Unique; it becomes the reservation's token once granted. */
  id: string;
  user: string;
  /** The Go tool's `actual_user` (the person behind a shared account); ours is the user again. */
  actualUser: string;
  count: number;
  /** Exactly these GPUs, or null for any `count` of them. */
  requestedIds: number[] | null;
  type: ReservationType;
  /** How long the reservation lasts once granted (manual: its duration; run: its --timeout), null: no declared end. */
  durationMs: number | null;
  note: string | null;
  enqueuedAt: number;
  lastHeartbeat: number;
  /** When the waiter gives up, or null to wait for ever. */
  waitUntil: number | null;
  /** Written by canhazgpu (heartbeat every QUEUE_HEARTBEAT_MS); false: another tool's waiter. */
  ours: boolean;
}

/** A request that started ahead of a waiter by backfill: it declared an end before the waiter's earliest start. */
export interface Backfill {
  /** The waiter it went ahead of. */
  passed: string;
  user: string;
  gpus: number[];
  at: number;
  until: number;
}

/** How often our waiters beat: a waiter killed outright is a ghost after OUR_GHOST_AFTER_MS, well within 10 s. */
export const QUEUE_HEARTBEAT_MS = 2_000;
export const OUR_GHOST_AFTER_MS = 7_000;
/** The Go tool beats every 30 s and drops a waiter after 2 minutes (QueueHeartbeatInterval/Timeout). */
export const FOREIGN_GHOST_AFTER_MS = 120_000;

/** A waiter whose process stopped beating: it no longer holds its place. */
export function isGhost(entry: QueueEntry, now: number): boolean {
  const after = entry.ours ? OUR_GHOST_AFTER_MS : FOREIGN_GHOST_AFTER_MS;
  return now - entry.lastHeartbeat > after;
}

/** The GPUs a request needs: its ids, or its count. */
export function wanted(entry: Pick<QueueEntry, 'count' | 'requestedIds'>): number {
  return entry.requestedIds?.length ?? entry.count;
}

/** `4 GPUs`, `1 GPU`, `GPUs [1, 3]`: what a request waits for, in words. */
export function describeWanted(entry: { count: number; requestedIds: readonly number[] | null }): string {
  if (entry.requestedIds) return `GPUs [${entry.requestedIds.join(', ')}]`;
  return `${entry.count} GPU${entry.count === 1 ? '' : 's'}`;
}

/** Queue order: enqueue time, ties by id (the Redis sorted set's order). */
export function byArrival(a: QueueEntry, b: QueueEntry): number {
  return a.enqueuedAt - b.enqueuedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}
