// The process that holds a host's prober lock, as both stores keep it: one JSON text, written the same way
// each time so that a claim can name the holder it replaces by its text.
import type { OwnerRef } from '../domain/reservation.js';

export function encodeProber(owner: OwnerRef): string {
  return JSON.stringify([owner.host, owner.pid, owner.startTime]);
}

/** The holder a lock names; null for an older lock (a bare pid, or none) or one that is not ours to read. */
export function decodeProber(text: string | null | undefined): OwnerRef | null {
  if (!text) return null;
  try {
    const value: unknown = JSON.parse(text);
    if (!Array.isArray(value) || value.length !== 3) return null;
    const [host, pid, startTime] = value as unknown[];
    if (typeof host !== 'string' || !Number.isSafeInteger(pid) || (pid as number) <= 0) return null;
    if (startTime !== null && typeof startTime !== 'string') return null;
    return { host, pid: pid as number, startTime };
  } catch {
    return null;
  }
}
