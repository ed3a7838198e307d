// Who may take which free GPUs while requests wait: strict first come, first served, with Slurm's
// backfill as the only exception. Pure: the pool service reads the store, this decides.
import type { QueueEntry } from './queue.js';

/** The pool as the queue sees it. */
export interface QueueSituation {
  now: number;
  /** The GPUs free now, in the order allocation prefers them (least recently released first). */
  free: readonly number[];
  /**
   * When each GPU that can be granted at all is free: `now` for free ones, a manual reservation's
   * expiry, or null where no end is known (a `run`, something using it without a reservation).
   */
  ends: ReadonlyMap<number, number | null>;
  /** The live waiters in queue order (ghosts and waiters already granted left out). */
  waiters: readonly QueueEntry[];
}

/** A request as the queue judges it: a waiter (its id is in the queue) or a request that does not wait. */
export interface QueueRequest {
  id: string;
  count: number;
  /** Only these GPUs may be granted (a waiter's ids, the server's chosen instances), or null for any. */
  requestedIds: readonly number[] | null;
  /** When it would end if granted now (a manual reservation's expiry, a run's timeout), null when it does not say. */
  endsAt: number | null;
}

export interface Admission {
  /** The GPUs it may take now, or null when it must wait. */
  grant: number[] | null;
  /** The free GPUs it may choose from: those no earlier waiter needs (or lends it by backfill). */
  allowed: number[];
  /** Earlier waiters it goes ahead of by backfill (when granted). */
  passed: QueueEntry[];
  /** Earlier waiters that keep free GPUs from it. */
  blockers: QueueEntry[];
  /** 1-based place in the queue: a request that does not wait comes after every waiter. */
  position: number;
}

/** The request's pick from `avail` (kept in preference order), or null when it does not fit. */
function pick(req: Pick<QueueRequest, 'count' | 'requestedIds'>, avail: readonly number[]): number[] | null {
  const ids = req.requestedIds;
  const candidates = ids ? avail.filter((id) => ids.includes(id)) : avail;
  const count = ids && req.count === 0 ? ids.length : req.count; // the Go tool may leave the count out
  return candidates.length >= count ? candidates.slice(0, count) : null;
}

/** When `count` GPUs (or exactly `ids`) are free at the earliest, as far as declared ends tell; null: unknown. */
export function earliestStart(
  req: Pick<QueueRequest, 'count' | 'requestedIds'>,
  ends: ReadonlyMap<number, number | null>,
): number | null {
  if (req.requestedIds) {
    let latest = Number.NEGATIVE_INFINITY;
    for (const id of req.requestedIds) {
      const end = ends.get(id);
      if (end === undefined || end === null) return null;
      latest = Math.max(latest, end);
    }
    return latest;
  }
  const known = [...ends.values()].filter((e): e is number => e !== null).sort((a, b) => a - b);
  return known.length >= req.count ? known[req.count - 1]! : null;
}

/**
 * Decides whether `req` may start now. Earlier waiters are served in order on what is free: one that
 * fits takes its GPUs first; one that does not keeps every free GPU it needs (all of them for a count,
 * its own for ids), unless `req` declares an end no later than that waiter's earliest start (backfill:
 * it is gone before the waiter could have used them). So a stream of 1-GPU requests never starves a
 * 4-GPU waiter, and nobody jumps the queue.
 */
export function admit(situation: QueueSituation, req: QueueRequest): Admission {
  const mine = situation.waiters.findIndex((w) => w.id === req.id);
  const ahead = mine === -1 ? situation.waiters : situation.waiters.slice(0, mine);
  let avail = [...situation.free];
  const lent: Array<{ waiter: QueueEntry; gpus: number[] }> = [];
  const blockers: QueueEntry[] = [];
  for (const waiter of ahead) {
    const theirs = pick(waiter, avail);
    if (theirs) {
      avail = avail.filter((id) => !theirs.includes(id));
      continue;
    }
    const needed = waiter.requestedIds ? avail.filter((id) => waiter.requestedIds!.includes(id)) : avail;
    if (needed.length === 0) continue;
    const start = earliestStart(waiter, situation.ends);
    if (req.endsAt !== null && start !== null && req.endsAt <= start) {
      lent.push({ waiter, gpus: needed });
    } else {
      blockers.push(waiter);
      avail = avail.filter((id) => !needed.includes(id));
    }
  }
  const grant = pick(req, avail);
  const passed = grant ? lent.filter((l) => l.gpus.some((id) => grant.includes(id))).map((l) => l.waiter) : [];
  return { grant, allowed: avail, passed, blockers, position: (mine === -1 ? ahead.length : mine) + 1 };
}

/**
 * Each waiter's estimated start, serving them in order on the declared ends (a waiter that starts
 * holds its GPUs for its declared duration, or for good when it declares none); null where unknown.
 */
export function estimatedStarts(situation: QueueSituation): Map<string, number | null> {
  const ends = new Map(situation.ends);
  const starts = new Map<string, number | null>();
  for (const waiter of situation.waiters) {
    const start = earliestStart(waiter, ends);
    starts.set(waiter.id, start === null ? null : Math.max(start, situation.now));
    if (start === null) continue;
    const taken = waiter.requestedIds
      ? waiter.requestedIds
      : [...ends.entries()]
          .filter((e): e is [number, number] => e[1] !== null && e[1] <= start)
          .sort((a, b) => a[1] - b[1] || a[0] - b[0])
          .slice(0, waiter.count)
          .map(([id]) => id);
    const until = waiter.durationMs === null ? null : Math.max(start, situation.now) + waiter.durationMs;
    for (const id of taken) ends.set(id, until);
  }
  return starts;
}
