// Counts each reading the keeper takes towards GPU use without a reservation: the time since the host's
// previous reading in the store (whoever took it, so `agent` and `serve` on one host count it once),
// capped so that a gap in readings invents no hours.
import type { GpuReading, ReadingStore } from '../domain/ports.js';
import { readingGapMs } from '../domain/unreserved.js';
import type { PoolService } from './pool-service.js';

export class UnreservedTally {
  constructor(
    private readonly pool: Pick<PoolService, 'noteUnreserved'>,
    private readonly readings: Pick<ReadingStore, 'latestReading'>,
    private readonly host: string,
  ) {}

  /** The host's reading now in the store, read before the next one replaces it. */
  previous(): Promise<GpuReading | null> {
    return this.readings.latestReading(this.host);
  }

  /** Notes `reading`, taken after `previous`; an unreadable machine counts nothing (nor the time before it). */
  async note(reading: GpuReading, previous: GpuReading | null): Promise<void> {
    if (reading.usage === null || previous === null || previous.usage === null) return;
    const gap = readingGapMs(previous.takenAt, reading.takenAt);
    await this.pool.noteUnreserved(reading.usage, reading.takenAt, gap);
  }
}
