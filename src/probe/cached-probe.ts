// A probe that reuses its last reading for a moment: a busy server must not run nvidia-smi (tens of
// ms on real hardware) for every request. Concurrent callers share one reading in flight.
import type { Clock, GpuProbe } from '../domain/ports.js';
import type { GpuUsage } from '../domain/usage.js';

export class CachedProbe implements GpuProbe {
  private last: { at: number; reading: Promise<GpuUsage[]> } | null = null;

  constructor(
    private readonly inner: GpuProbe,
    private readonly clock: Clock,
    private readonly maxAgeMs: number,
  ) {}

  get toolName(): string {
    return this.inner.toolName;
  }

  probe(): Promise<GpuUsage[]> {
    const now = this.clock.now();
    if (this.last && now - this.last.at < this.maxAgeMs) return this.last.reading;
    const reading = this.inner.probe();
    const entry = { at: now, reading };
    this.last = entry;
    // A failed reading is not kept: the next caller tries again.
    reading.catch(() => {
      if (this.last === entry) this.last = null;
    });
    return reading;
  }
}
