// When a reservation stops holding its GPU: manual ones at expiry, run ones when their owner process
// is known to be dead, or, when it cannot be checked, once their heartbeat goes stale.
import type { GpuSlot, OwnerRef, Reservation } from './reservation.js';

export const DEFAULT_STALE_AFTER_MS = 5 * 60_000;

/**
 * What this host can tell of an owner process: `alive` (its pid runs with the recorded start time),
 * `dead`, or `unknown` (another host, or a process it may not look at): the heartbeat decides then.
 */
export type OwnerState = 'alive' | 'dead' | 'unknown';

export interface Liveness {
  /** A run reservation whose owner cannot be checked is free once its heartbeat is older than this. */
  staleAfterMs: number;
  /** Tokens of run reservations whose owner process is known to be dead: free at once. */
  deadTokens: ReadonlySet<string>;
  /**
   * Tokens of run reservations whose owner is seen alive: held whatever their heartbeat says (a `run`
   * killed outright leaves its command as owner, and nothing beats for it any more).
   */
  liveTokens: ReadonlySet<string>;
}

export const NO_TOKENS: ReadonlySet<string> = new Set();

export function defaultLiveness(
  deadTokens: ReadonlySet<string> = NO_TOKENS,
  liveTokens: ReadonlySet<string> = NO_TOKENS,
): Liveness {
  return { staleAfterMs: DEFAULT_STALE_AFTER_MS, deadTokens, liveTokens };
}

/** The moment a reservation stopped holding its GPU, or null while it still holds it. */
export function reservationEnd(r: Reservation, now: number, live: Liveness): number | null {
  if (r.type === 'manual') {
    const expiry = r.expiryTime ?? r.startTime;
    return now >= expiry ? expiry : null;
  }
  if (r.token !== null && live.deadTokens.has(r.token)) return r.lastHeartbeat;
  if (r.token !== null && live.liveTokens.has(r.token)) return null;
  return now - r.lastHeartbeat > live.staleAfterMs ? r.lastHeartbeat : null;
}

export function activeReservation(slot: GpuSlot, now: number, live: Liveness): Reservation | null {
  const r = slot.reservation;
  return r && reservationEnd(r, now, live) === null ? r : null;
}

/** When the GPU was last given back: an ended reservation counts as released when it ended. */
export function lastReleased(slot: GpuSlot, now: number, live: Liveness): number | null {
  const r = slot.reservation;
  const ended = r ? reservationEnd(r, now, live) : null;
  if (ended === null) return slot.lastReleased;
  return Math.max(ended, slot.lastReleased ?? ended);
}

/** Who gave the GPU back last: the holder of an ended reservation, else what the store recorded. */
export function lastReleasedBy(slot: GpuSlot, now: number, live: Liveness): string | null {
  const r = slot.reservation;
  if (r && reservationEnd(r, now, live) !== null) return r.user;
  return slot.lastReleasedBy ?? null;
}

/** The run reservations' tokens by what this host can tell of their owners (each owner judged once). */
export function judgeOwners(
  slots: GpuSlot[],
  ownerState: (owner: OwnerRef) => OwnerState,
): { dead: Set<string>; live: Set<string> } {
  const dead = new Set<string>();
  const live = new Set<string>();
  for (const { reservation: r } of slots) {
    if (r?.type !== 'run' || !r.owner || !r.token || dead.has(r.token) || live.has(r.token)) continue;
    const state = ownerState(r.owner);
    if (state === 'dead') dead.add(r.token);
    else if (state === 'alive') live.add(r.token);
  }
  return { dead, live };
}

/** The liveness of a pool as read now: which run owners are dead or seen alive, and the stale window. */
export function livenessOf(
  slots: GpuSlot[],
  ownerState: (owner: OwnerRef) => OwnerState,
  staleAfterMs: number,
): Liveness {
  const { dead, live } = judgeOwners(slots, ownerState);
  return { staleAfterMs, deadTokens: dead, liveTokens: live };
}
