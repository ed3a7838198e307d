// Marketplace listings are kept a few seconds and shared by concurrent callers, so a burst of
// reservations makes one search per provider and filter set, not one per request.
import type { Clock } from '../../domain/ports.js';

export const LISTING_MAX_AGE_MS = 5_000;

export class ListingCache<T> {
  private readonly entries = new Map<string, { at: number; value: Promise<T> }>();

  constructor(
    private readonly clock: Clock,
    private readonly maxAgeMs = LISTING_MAX_AGE_MS,
  ) {}

  get(key: string, load: () => Promise<T>): Promise<T> {
    const now = this.clock.now();
    const hit = this.entries.get(key);
    if (hit && now - hit.at < this.maxAgeMs) return hit.value;
    const entry = { at: now, value: load() };
    this.entries.set(key, entry);
    // A failure is not kept: the next caller asks again.
    entry.value.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
    return entry.value;
  }

  /** After a rental the listing is stale: the rented offer must not be offered again. */
  clear(): void {
    this.entries.clear();
  }
}
