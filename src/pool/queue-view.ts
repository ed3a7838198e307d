// The queue as `canhazgpu queue` and `GET /api/v1/queue` show it: live waiters in order, each with its
// estimated start and the requests that went ahead of it by backfill.
import type { Backfill } from '../domain/queue.js';
import { estimatedStarts } from '../domain/queue-policy.js';
import type { ReservationType } from '../domain/reservation.js';
import type { PoolService } from './pool-service.js';
import { departedWaiters, queueSituation } from './queue-situation.js';

export interface WaiterView {
  position: number;
  user: string;
  actualUser: string;
  count: number;
  requestedIds: number[] | null;
  type: ReservationType;
  note: string | null;
  waitingSince: number;
  waitUntil: number | null;
  /** From the declared ends of what it waits on; null when they do not tell. */
  estimatedStart: number | null;
  backfills: Backfill[];
}

export interface QueueView {
  now: number;
  waiters: WaiterView[];
}

/** One look at the queue; ghosts and waiters granted already are left out (not removed: this only reads). */
export async function readQueue(pool: PoolService): Promise<QueueView> {
  const reading = await pool.read();
  const queue = pool.store.queue;
  if (!queue) return { now: reading.now, waiters: [] };
  const [entries, backfills] = await Promise.all([queue.waiters(), queue.backfills()]);
  const departed = new Set(departedWaiters(reading, entries));
  const live = entries.filter((e) => !departed.has(e.id));
  const starts = estimatedStarts(queueSituation(reading, pool.free(reading), live));
  const waiters = live.map((e, i) => ({
    position: i + 1,
    user: e.user,
    actualUser: e.actualUser,
    count: e.requestedIds?.length ?? e.count,
    requestedIds: e.requestedIds,
    type: e.type,
    note: e.note,
    waitingSince: e.enqueuedAt,
    waitUntil: e.waitUntil,
    estimatedStart: starts.get(e.id) ?? null,
    backfills: backfills.filter((b) => b.passed === e.id),
  }));
  return { now: reading.now, waiters };
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export type QueueJson = ReturnType<typeof queueJson>;

/** The JSON shape of `queue --json` and `GET /api/v1/queue` (README: The wait queue). */
export function queueJson(view: QueueView) {
  return {
    waiting: view.waiters.map((w) => ({
      position: w.position,
      user: w.user,
      actual_user: w.actualUser,
      gpus: w.count,
      gpu_ids: w.requestedIds,
      type: w.type,
      note: w.note,
      waiting_since: iso(w.waitingSince),
      waited_seconds: Math.max(0, Math.floor((view.now - w.waitingSince) / 1000)),
      wait_until: iso(w.waitUntil),
      estimated_start: iso(w.estimatedStart),
      backfilled_ahead: w.backfills.map((b) => ({ user: b.user, gpus: b.gpus, at: iso(b.at), until: iso(b.until) })),
    })),
  };
}
