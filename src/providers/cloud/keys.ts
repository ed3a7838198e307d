// Several API keys per marketplace: a refused key (401/403) rests a while, a rate-limited one (429)
// backs off, and the calls move on to the next. Keys are named by position (#1, #2), never shown.
import type { Clock } from '../../domain/ports.js';

/** How long a refused key rests before it is tried again (it may have been renewed meanwhile). */
export const BAD_KEY_REST_MS = 10 * 60_000;
const FIRST_BACKOFF_MS = 1_000;
const MAX_BACKOFF_MS = 60_000;

interface KeyState {
  key: string;
  /** Not used before this time. */
  until: number;
  why: string | null;
  backoffMs: number;
}

export class KeyRing {
  private readonly states: KeyState[];
  private current = 0;

  constructor(
    keys: readonly string[],
    private readonly clock: Clock,
  ) {
    if (keys.length === 0) throw new Error('a key ring needs at least one key');
    this.states = keys.map((key) => ({ key, until: 0, why: null, backoffMs: FIRST_BACKOFF_MS }));
  }

  get size(): number {
    return this.states.length;
  }

  /** The key to use now (the last one that worked first), or null when every key rests. */
  pick(): { index: number; key: string } | null {
    const now = this.clock.now();
    for (let n = 0; n < this.states.length; n++) {
      const index = (this.current + n) % this.states.length;
      if (this.states[index]!.until <= now) {
        this.current = index;
        return { index, key: this.states[index]!.key };
      }
    }
    return null;
  }

  /** Milliseconds until some key may be used again. */
  readyIn(): number {
    return Math.max(0, Math.min(...this.states.map((s) => s.until)) - this.clock.now());
  }

  worked(index: number): void {
    const s = this.states[index]!;
    s.backoffMs = FIRST_BACKOFF_MS;
    s.why = null;
  }

  refused(index: number, status: number): void {
    this.rest(index, BAD_KEY_REST_MS, `refused (${status})`);
  }

  /** A 429: `retryAfterMs` when the provider said (vast never does), else a doubling back-off. */
  rateLimited(index: number, retryAfterMs: number | null): void {
    const s = this.states[index]!;
    this.rest(index, retryAfterMs ?? s.backoffMs, 'rate limited (429)');
    s.backoffMs = Math.min(s.backoffMs * 2, MAX_BACKOFF_MS);
  }

  private rest(index: number, ms: number, why: string): void {
    const s = this.states[index]!;
    s.until = this.clock.now() + ms;
    s.why = why;
    if (this.current === index) this.current = (index + 1) % this.states.length;
  }

  /** "key #1 refused (401), key #2 rate limited (429)": what is wrong, by position. */
  describe(): string {
    return this.states.map((s, i) => `key #${i + 1} ${s.why ?? 'resting'}`).join(', ');
  }

  /** `text` with every key replaced by its position, for messages built from a provider's answer. */
  redact(text: string): string {
    return this.states.reduce((t, s, i) => t.split(s.key).join(`key #${i + 1}`), text);
  }
}
