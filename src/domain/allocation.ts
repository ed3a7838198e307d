// The allocation policy, run by every store inside its atomic section: least recently released first,
// or (admin --policy mru-per-user) the GPUs the user released most recently first.
import { NotEnoughGpusError } from './errors.js';
import { GpusUnavailableError, isOwnManual, unavailableIds } from './gpu-ids.js';
import { activeReservation, lastReleased, lastReleasedBy, type Liveness } from './liveness.js';
import type { AllocationPolicy, GpuSlot, OwnerRef, Reservation, ReservationType } from './reservation.js';

export interface AllocationRequest {
  count: number;
  user: string;
  type: ReservationType;
  now: number;
  /** Manual reservations: when they end. */
  expiryTime: number | null;
  /** GPUs the hardware shows in use; a free one among them is not handed out. */
  inUse: readonly number[];
  token: string;
  owner: OwnerRef | null;
  liveness: Liveness;
  /** When set, only these GPUs may be granted (the server reserving a chosen instance). */
  only?: readonly number[] | null;
  /** The GPUs the probe lists: others do not exist on this machine. Null or absent when it could not read. */
  listed?: readonly number[] | null;
  /**
   * `--gpu-ids`: exactly the GPUs in `only`, or nothing, with each one that cannot be had named. A manual
   * request may name GPUs the user already holds manually: they are extended to the new expiry.
   */
  exact?: boolean;
  /** What the user says the GPUs are for (`--note`). */
  note?: string | null;
  /** The pool's policy as last read (absent: LRU). */
  policy?: AllocationPolicy;
  /**
   * The wait queue's waiter ids as the caller judged them, in order: the store grants nothing if it changed
   * since. Granted, the waiter whose id is `token` leaves the queue in the same step.
   */
  queueSeen?: readonly string[];
}

export function newReservation(req: AllocationRequest): Reservation {
  return {
    user: req.user,
    type: req.type,
    startTime: req.now,
    lastHeartbeat: req.now,
    expiryTime: req.type === 'manual' ? req.expiryTime : null,
    token: req.token,
    owner: req.owner,
    ...(req.note ? { note: req.note } : {}),
  };
}

/**
 * What a granted GPU is set to: a new reservation, or the user's own manual one extended (its start
 * kept, and its note unless the request gives another).
 */
export function reservationFor(slot: GpuSlot, req: AllocationRequest): Reservation {
  const fresh = newReservation(req);
  const held = activeReservation(slot, req.now, req.liveness);
  if (!held || !isOwnManual(held, req)) return fresh;
  const note = fresh.note ?? held.note;
  return { ...fresh, startTime: held.startTime, ...(note ? { note } : {}) };
}

/**
 * Picks `count` free GPUs, least recently released first (never released first, ties by id), or
 * throws the original manual's "Not enough GPUs" error. Pure: the caller holds the store's lock.
 */
export function chooseGpus(slots: readonly GpuSlot[], req: AllocationRequest): number[] {
  if (req.exact) {
    const reasons = unavailableIds(slots, req);
    if (reasons.length > 0) throw new GpusUnavailableError(reasons);
    return [...new Set(req.only ?? [])];
  }
  const inUse = new Set(req.inUse);
  const allowed = req.only ? new Set(req.only) : null;
  const free = slots.filter(
    (s) => !s.problem && (!allowed || allowed.has(s.id)) && activeReservation(s, req.now, req.liveness) === null,
  );
  const listed = req.listed ? new Set(req.listed) : null;
  const present = free.filter((s) => !listed || listed.has(s.id));
  const candidates = present.filter((s) => !inUse.has(s.id));
  if (candidates.length < req.count) {
    const unreservedInUse = present.length - candidates.length;
    throw new NotEnoughGpusError(req.count, candidates.length, unreservedInUse, free.length - present.length);
  }
  return preferred(candidates, req)
    .slice(0, req.count)
    .map((s) => s.id);
}

/** The pool's order of preference: never released first, then the longest released; ties by id. */
export function leastRecentlyReleasedFirst<S extends GpuSlot>(
  slots: readonly S[],
  now: number,
  liveness: Liveness,
): S[] {
  const releasedAt = (s: GpuSlot) => lastReleased(s, now, liveness) ?? -Infinity;
  return slots
    .map((slot) => ({ slot, at: releasedAt(slot) }))
    .sort((a, b) => a.at - b.at || a.slot.id - b.slot.id)
    .map((c) => c.slot);
}

/** The free GPUs in the order the pool's policy prefers them for `req.user`. */
export function preferred<S extends GpuSlot>(slots: readonly S[], req: AllocationRequest): S[] {
  const lru = leastRecentlyReleasedFirst(slots, req.now, req.liveness);
  if (req.policy !== 'mru-per-user') return lru;
  const mine = lru.filter((s) => lastReleasedBy(s, req.now, req.liveness) === req.user);
  const at = (s: GpuSlot) => lastReleased(s, req.now, req.liveness) ?? -Infinity;
  const recentFirst = [...mine].sort((a, b) => at(b) - at(a) || a.id - b.id);
  return [...recentFirst, ...lru.filter((s) => !mine.includes(s))];
}

export const MAX_POOL_SIZE = 1024;

export function validateGpuCount(value: number, what = '--gpus'): string | null {
  if (!Number.isInteger(value) || value < 1) return `${what} must be a whole number of at least 1`;
  if (value > MAX_POOL_SIZE) return `${what} must be at most ${MAX_POOL_SIZE}`;
  return null;
}
