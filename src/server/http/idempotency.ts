// Idempotency-Key: a retried request gets the first one's result instead of reserving again.
import type { Clock } from '../../domain/ports.js';

const TTL_MS = 24 * 3600_000;
const MAX_ENTRIES = 10_000;

export class IdempotencyCache {
  private readonly entries = new Map<string, { at: number; result: Promise<unknown> }>();

  constructor(private readonly clock: Clock) {}

  /** Runs `fn` once per key; a failed run is forgotten so the client may retry it. */
  once<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const now = this.clock.now();
    const hit = this.entries.get(key);
    if (hit && now - hit.at < TTL_MS) return hit.result as Promise<T>;
    if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    const result = fn();
    this.entries.set(key, { at: now, result });
    result.catch(() => this.entries.delete(key));
    return result;
  }
}
