// Idempotency-Key: a retried request gets the first one's result instead of reserving again.
import { createHash } from 'node:crypto';
import type { Clock } from '../../domain/ports.js';
import { ApiError } from '../errors.js';

const TTL_MS = 24 * 3600_000;
const MAX_ENTRIES = 10_000;
export const MAX_KEY_LENGTH = 255;

interface Entry {
  at: number;
  bodyHash: string;
  result: Promise<unknown>;
  settled: boolean;
}

export class IdempotencyCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly clock: Clock) {}

  /**
   * Runs `fn` once per key; the same key with another body is refused (422), a failed run is
   * forgotten so the client may retry it, and entries still running are never evicted.
   */
  once<T>(key: string, body: unknown, fn: () => Promise<T>): Promise<T> {
    if (key.length > MAX_KEY_LENGTH)
      throw new ApiError('INVALID_ARGUMENT', `Idempotency-Key must be at most ${MAX_KEY_LENGTH} characters`);
    const now = this.clock.now();
    const bodyHash = createHash('sha256').update(JSON.stringify(body)).digest('hex');
    const hit = this.entries.get(key);
    if (hit && now - hit.at < TTL_MS) {
      if (hit.bodyHash !== bodyHash)
        throw new ApiError('UNPROCESSABLE', 'this Idempotency-Key was used with a different request body');
      return hit.result as Promise<T>;
    }
    this.evict(now);
    if (this.entries.size >= MAX_ENTRIES)
      throw new ApiError('RESOURCE_EXHAUSTED', 'too many requests in flight with an Idempotency-Key; retry shortly');
    const entry: Entry = { at: now, bodyHash, result: fn(), settled: false };
    this.entries.set(key, entry);
    entry.result.then(
      () => (entry.settled = true),
      () => this.entries.delete(key),
    );
    return entry.result as Promise<T>;
  }

  /** Drops expired entries, then the oldest finished ones while over the cap. */
  private evict(now: number): void {
    for (const [key, e] of this.entries) if (now - e.at >= TTL_MS && e.settled) this.entries.delete(key);
    for (const [key, e] of this.entries) {
      if (this.entries.size < MAX_ENTRIES) break;
      if (e.settled) this.entries.delete(key);
    }
  }
}
