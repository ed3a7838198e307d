// One GPU reading per host, shared through the store by every command on it: a reading younger than
// `maxAgeMs` is used as it is; otherwise one process, elected by a short lock, probes and saves, and
// the others wait for its reading instead of starting their own nvidia-smi (64 simultaneous reserves
// make one probe, not 128). `canhazgpu agent` and `serve` keep the reading fresh, so with either
// running no command probes at all.
import {
  type Clock,
  type GpuProbe,
  type GpuReading,
  type OwnerProcesses,
  ProbeUnavailableError,
  type ReadingStore,
} from '../domain/ports.js';
import { isFreshReading } from '../domain/reading-age.js';
import type { OwnerRef } from '../domain/reservation.js';
import type { GpuUsage } from '../domain/usage.js';

export interface SharedProbeOptions {
  inner: GpuProbe;
  readings: ReadingStore;
  clock: Clock;
  host: string;
  /** How old a saved reading may be for this command (allocation wants it fresher than status); 0: none. */
  maxAgeMs: number;
  /** How long the elected prober holds the lock (its probe's timeout): the others wait at most this long. */
  probeHoldMs: number;
  /** Between looks at the store while another process probes. */
  pollMs?: number;
  /** This process, named in the lock it takes, and what this host can tell of a holder: a dead one's lock is taken over. */
  prober?: () => OwnerRef;
  owners?: OwnerProcesses;
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The usage a reading holds, or the probe's own error when it could not read. The tool's name is asked
 * only then: the `nvidia` provider learns it by loading NVML, which a fresh reading must not cost.
 */
export function usageOf(reading: GpuReading, probe: GpuProbe): GpuUsage[] {
  if (reading.usage === null) throw new ProbeUnavailableError(`${probe.toolName} unavailable (shared reading)`);
  return reading.usage;
}

const sameProcess = (a: OwnerRef, b: OwnerRef) => a.host === b.host && a.pid === b.pid && a.startTime === b.startTime;

export class SharedProbe implements GpuProbe {
  constructor(private readonly o: SharedProbeOptions) {}

  /** Where the readings are kept. */
  get readings(): ReadingStore {
    return this.o.readings;
  }

  /** Asked of the inner probe each time: the `nvidia` provider names its tool once it has chosen. */
  get toolName(): string {
    return this.o.inner.toolName;
  }

  /** Younger than the limit (0: none is), and not from the future (a clock set back). */
  private fresh(reading: GpuReading | null): reading is GpuReading {
    return isFreshReading(reading, this.o.clock.now(), this.o.maxAgeMs);
  }

  async probe(): Promise<GpuUsage[]> {
    const { readings, host } = this.o;
    const saved = await readings.latestReading(host);
    if (this.fresh(saved)) return usageOf(saved, this);
    const started = this.o.clock.now();
    if (await this.claim(started)) return this.probeAndSave();
    // Another process probes: its reading, once saved, is newer than our start (or, saved just before our
    // claim found its lock still held, fresh enough all the same).
    const sleep = this.o.sleep ?? defaultSleep;
    let holder = await readings.proberOf(host, started);
    let deadline = started + this.o.probeHoldMs;
    while (this.o.clock.now() < deadline) {
      await sleep(this.o.pollMs ?? 25);
      const theirs = await readings.latestReading(host);
      if (theirs && (theirs.takenAt >= started || this.fresh(theirs))) return usageOf(theirs, this);
      // A command killed mid-probe (Ctrl-C on a slow nvidia-smi) would hold every other up until its lock
      // timed out: the first waiter to see it dead takes the lock over.
      if (holder && this.o.owners?.state(holder) === 'dead') {
        if (await this.claim(this.o.clock.now(), holder)) return this.probeAndSave();
        const next = await readings.proberOf(host, this.o.clock.now());
        // A new prober holds the lock from now; a refused take-over (the agent's ordinary callers) is not retried.
        holder = next && !sameProcess(next, holder) ? next : null;
        if (holder) deadline = this.o.clock.now() + this.o.probeHoldMs;
      }
    }
    return this.probeAndSave(); // the prober hung, or could not be told dead: read it ourselves
  }

  private claim(now: number, replacing?: OwnerRef): Promise<boolean> {
    return this.o.readings.claimProbe(this.o.host, now, this.o.probeHoldMs, this.o.prober?.(), replacing);
  }

  /** Probes and saves what it saw, an unreadable machine included, so waiting processes learn it too. */
  async probeAndSave(): Promise<GpuUsage[]> {
    return usageOf(await this.takeReading(), this);
  }

  /** Probes and saves, as probeAndSave, and returns the reading (an unreadable machine's too). */
  async takeReading(): Promise<GpuReading> {
    let usage: GpuUsage[] | null;
    try {
      usage = await this.o.inner.probe();
    } catch (err) {
      if (!(err instanceof ProbeUnavailableError)) throw err;
      usage = null;
    }
    const reading: GpuReading = { host: this.o.host, takenAt: this.o.clock.now(), usage };
    await this.o.readings.saveReading(reading).catch(() => {
      // A store that cannot keep the reading costs only the sharing; the command goes on with it.
    });
    return reading;
  }
}
