// The pool as the wait queue's policy sees it (domain/queue-policy.ts), built from one reading.
import { activeReservation } from '../domain/liveness.js';
import { isGhost, type QueueEntry } from '../domain/queue.js';
import type { QueueSituation } from '../domain/queue-policy.js';
import type { FreeGpu, PoolReading } from './pool-service.js';

/** When each GPU that can be granted at all is free: now, a manual reservation's expiry, or null (unknown). */
export function queueSituation(reading: PoolReading, free: readonly FreeGpu[], waiters: QueueEntry[]): QueueSituation {
  const freeIds = free.map((f) => f.id);
  const listed = reading.usage ? new Set(reading.usage.map((u) => u.index)) : null;
  const ends = new Map<number, number | null>();
  for (const slot of reading.snapshot.slots) {
    if (slot.problem || (listed && !listed.has(slot.id))) continue;
    const held = activeReservation(slot, reading.now, reading.liveness);
    if (held) ends.set(slot.id, held.type === 'manual' ? held.expiryTime : null);
    else ends.set(slot.id, freeIds.includes(slot.id) ? reading.now : null); // in use without a reservation
  }
  return { now: reading.now, free: freeIds, ends, waiters };
}

/** Waiters that no longer hold a place: ghosts, and those granted already (their id is a held reservation's token). */
export function departedWaiters(reading: PoolReading, entries: readonly QueueEntry[]): string[] {
  const tokens = new Set(
    reading.snapshot.slots.map((s) => activeReservation(s, reading.now, reading.liveness)?.token).filter(Boolean),
  );
  return entries.filter((e) => isGhost(e, reading.now) || tokens.has(e.id)).map((e) => e.id);
}

/** GPUs the pool could ever give (not broken, present on this machine): more than that is never granted. */
export function usableGpus(reading: PoolReading): number {
  const listed = reading.usage ? new Set(reading.usage.map((u) => u.index)) : null;
  return reading.snapshot.slots.filter((s) => !s.problem && (!listed || listed.has(s.id))).length;
}

/** The next moment a manual reservation ends (GPUs free up with no release to hear of), or null. */
export function nextExpiry(reading: PoolReading): number | null {
  let next: number | null = null;
  for (const slot of reading.snapshot.slots) {
    const held = activeReservation(slot, reading.now, reading.liveness);
    const end = held?.type === 'manual' ? held.expiryTime : null;
    if (end !== null && end > reading.now && (next === null || end < next)) next = end;
  }
  return next;
}
