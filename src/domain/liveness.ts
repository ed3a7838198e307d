// When a reservation stops holding its GPU: manual ones at expiry, run ones when their heartbeat goes
// stale or their supervising process is known to be dead.
import type { GpuSlot, OwnerRef, Reservation } from './reservation.js';

export const DEFAULT_STALE_AFTER_MS = 5 * 60_000;

export interface Liveness {
  /** A run reservation whose heartbeat is older than this is free. */
  staleAfterMs: number;
  /** Tokens of run reservations whose supervising process is known to be dead. */
  deadTokens: ReadonlySet<string>;
}

export const NO_DEAD_OWNERS: ReadonlySet<string> = new Set();

export function defaultLiveness(deadTokens: ReadonlySet<string> = NO_DEAD_OWNERS): Liveness {
  return { staleAfterMs: DEFAULT_STALE_AFTER_MS, deadTokens };
}

/** The moment a reservation stopped holding its GPU, or null while it still holds it. */
export function reservationEnd(r: Reservation, now: number, live: Liveness): number | null {
  if (r.type === 'manual') {
    const expiry = r.expiryTime ?? r.startTime;
    return now >= expiry ? expiry : null;
  }
  if (r.token !== null && live.deadTokens.has(r.token)) return r.lastHeartbeat;
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

/**
 * Tokens of run reservations whose owner process is dead. `isOwnerAlive` answers for owners on this
 * host and says "alive" for any it cannot check, leaving those to the heartbeat.
 */
export function findDeadTokens(slots: GpuSlot[], isOwnerAlive: (owner: OwnerRef) => boolean): Set<string> {
  const dead = new Set<string>();
  const checked = new Map<string, boolean>();
  for (const { reservation: r } of slots) {
    if (!r || r.type !== 'run' || !r.owner || !r.token) continue;
    let alive = checked.get(r.token);
    if (alive === undefined) {
      alive = isOwnerAlive(r.owner);
      checked.set(r.token, alive);
    }
    if (!alive) dead.add(r.token);
  }
  return dead;
}

/** The liveness of a pool as read now: who is dead among run owners, and the stale window. */
export function livenessOf(slots: GpuSlot[], isOwnerAlive: (owner: OwnerRef) => boolean, staleAfterMs: number): Liveness {
  return { staleAfterMs, deadTokens: findDeadTokens(slots, isOwnerAlive) };
}
