// GPU use seen without a reservation, accumulated per user and per hour from the shared GPU readings:
// each reading adds the time since the previous one to every user whose processes use a GPU nobody holds.
import { processUsers, type StatusRow } from './status.js';

export const HOUR_MS = 3_600_000;
/** The most one reading adds: a gap in readings (an agent stopped, a suspended host) invents no hours. */
export const MAX_READING_GAP_MS = 60_000;

/** Seconds of GPU use (one GPU for one second counts one) by `user` in the hour starting at `hourStart` (ms). */
export interface UnreservedUse {
  user: string;
  hourStart: number;
  seconds: number;
}

/** The time a reading at `now` stands for: since the previous one, at most `capMs`; 0 with no previous one. */
export function readingGapMs(previous: number | null, now: number, capMs = MAX_READING_GAP_MS): number {
  if (previous === null || !(now > previous)) return 0;
  return Math.min(now - previous, capMs);
}

export const hourOf = (ms: number) => Math.floor(ms / HOUR_MS) * HOUR_MS;

/** What a reading at `now` standing for `gapMs` adds: every user seen on each GPU status calls unreserved. */
export function unreservedUse(rows: readonly StatusRow[], now: number, gapMs: number): UnreservedUse[] {
  if (!(gapMs > 0)) return [];
  const byUser = new Map<string, number>();
  for (const row of rows) {
    if (row.state !== 'unreserved') continue;
    for (const user of processUsers(row.usage)) byUser.set(user, (byUser.get(user) ?? 0) + gapMs / 1000);
  }
  // The span ends at `now`: it counts in the hour it began (a minute at most lands an hour early).
  const hourStart = hourOf(now - gapMs);
  return [...byUser].map(([user, seconds]) => ({ user, hourStart, seconds }));
}

/** GPU-hours per user inside [from, to]: an hour partly inside counts for that part (use spread evenly). */
export function unreservedHours(uses: readonly UnreservedUse[], from: number, to: number): Map<string, number> {
  const byUser = new Map<string, number>();
  for (const u of uses) {
    const inside = Math.min(u.hourStart + HOUR_MS, to) - Math.max(u.hourStart, from);
    if (inside <= 0 || !(u.seconds > 0)) continue;
    const hours = (u.seconds / 3600) * (inside / HOUR_MS);
    byUser.set(u.user, (byUser.get(u.user) ?? 0) + hours);
  }
  return byUser;
}

/** A use read back from a store others may write, or null when it is not one. */
export function toUnreservedUse(user: unknown, hourStart: unknown, seconds: unknown): UnreservedUse | null {
  const h = Number(hourStart);
  const s = Number(seconds);
  if (typeof user !== 'string' || user === '' || !Number.isFinite(h) || !Number.isFinite(s) || s <= 0) return null;
  return { user, hourStart: h, seconds: s };
}
