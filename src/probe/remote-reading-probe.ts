// Another host's GPUs, as its agent (or its last command) saved them: a host of the fleet cannot probe
// another's GPUs, only read its shared reading, and only while it is recent.
import { type Clock, type GpuProbe, ProbeUnavailableError, type ReadingStore } from '../domain/ports.js';
import type { GpuUsage } from '../domain/usage.js';

export class RemoteReadingProbe implements GpuProbe {
  /** When the reading last returned was taken (null: there was none). */
  takenAt: number | null = null;

  constructor(
    private readonly readings: ReadingStore,
    private readonly host: string,
    private readonly clock: Clock,
    private readonly maxAgeMs: number,
  ) {}

  get toolName(): string {
    return `${this.host}'s GPU reading`;
  }

  async probe(): Promise<GpuUsage[]> {
    const reading = await this.readings.latestReading(this.host);
    this.takenAt = reading?.takenAt ?? null;
    const age = reading === null ? Infinity : this.clock.now() - reading.takenAt;
    if (reading === null || reading.usage === null || age >= this.maxAgeMs || age < -this.maxAgeMs) {
      throw new ProbeUnavailableError(`no recent reading of ${this.host}`);
    }
    return reading.usage;
  }
}
