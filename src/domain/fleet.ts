// The fleet: several hosts, each with a pool of its own, in one store. Which host a `--host any`
// request goes to, and when a host's GPUs count as unknown because nothing has read them lately.
import { formatCompactDuration } from './duration.js';
import { activeReservation, lastReleased, type Liveness } from './liveness.js';
import type { PoolSnapshot } from './reservation.js';

/**
 * A host whose GPUs were last read longer ago than this (its agent refreshes every second) is stale:
 * what its free GPUs run without a reservation is unknown, so they are shown as stale and not offered.
 */
export const FLEET_STALE_AFTER_MS = 30_000;

/** A host name fit to name a pool (a Redis key, a Cluster hash tag). */
export const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export const isStale = (readingTakenAt: number | null, now: number): boolean =>
  readingTakenAt === null || now - readingTakenAt >= FLEET_STALE_AFTER_MS;

/** When the host's pool was last used: its latest grant or release (null: never). */
export function lastUsed(snapshot: PoolSnapshot, now: number, liveness: Liveness): number | null {
  let latest: number | null = null;
  for (const slot of snapshot.slots) {
    const at = activeReservation(slot, now, liveness)?.startTime ?? lastReleased(slot, now, liveness);
    if (at !== null && (latest === null || at > latest)) latest = at;
  }
  return latest;
}

export interface HostCandidate {
  host: string;
  /** GPUs a grant could take there now. */
  free: number;
  lastUsed: number | null;
}

/**
 * The hosts a request of `count` GPUs fits, best first: the fewest free GPUs left over (big holes
 * stay whole for big requests), then the least recently used, then by name.
 */
export function hostsByPreference(candidates: readonly HostCandidate[], count: number): HostCandidate[] {
  const used = (c: HostCandidate) => c.lastUsed ?? -Infinity;
  return candidates
    .filter((c) => c.free >= count)
    .sort((a, b) => a.free - b.free || used(a) - used(b) || a.host.localeCompare(b.host));
}

/** `host-b: 4 GPUs, read 1s ago`, or why its free GPUs are unknown. */
export function hostHeading(host: string, gpuCount: number | null, readingTakenAt: number | null, now: number): string {
  const size = gpuCount === null ? "no pool (run 'canhazgpu admin --gpus N' there)" : `${gpuCount} GPUs`;
  const age = (at: number) => formatCompactDuration(Math.max(0, Math.floor((now - at) / 1000)));
  if (readingTakenAt === null) return `== ${host}: ${size}, STALE: no GPU reading (is its agent running?) ==`;
  if (isStale(readingTakenAt, now))
    return `== ${host}: ${size}, STALE: GPUs last read ${age(readingTakenAt)} ago (is its agent running?) ==`;
  return `== ${host}: ${size}, read ${age(readingTakenAt)} ago ==`;
}

/** A free GPU of a stale host: the pool says free, but nothing says what runs on it. */
export const staleGpuLine = (gpuId: number): string =>
  `GPU ${gpuId}: STALE (free in the pool, but its host's GPUs are not being read)`;
