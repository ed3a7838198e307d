// Keeps this host's shared GPU reading fresh for as long as it runs (`canhazgpu agent`, `serve`), so
// that `status`, `reserve` and `run` find one young enough and start no nvidia-smi of their own; each
// reading also counts towards the GPU use seen without a reservation (`report`), when given a tally.
import { type SharedProbe, usageOf } from '../probe/shared-probe.js';
import type { UnreservedTally } from './unreserved-tally.js';

export class ReadingKeeper {
  private timer: NodeJS.Timeout | null = null;
  private current: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly probe: SharedProbe,
    private readonly intervalMs: number,
    private readonly onError: (err: unknown) => void,
    private readonly tally?: UnreservedTally,
  ) {}

  /** Reads now, then every interval after each reading ends (a slow probe never piles up). */
  start(): void {
    const tick = () => {
      this.current = this.read().then(
        () => undefined,
        (err: unknown) => this.onError(err),
      );
      void this.current.then(() => {
        if (!this.stopped) this.timer = setTimeout(tick, this.intervalMs);
      });
    };
    tick();
  }

  /** One reading, saved; an unreadable machine throws as probeAndSave does, after the tally saw it. */
  async read(): Promise<void> {
    if (!this.tally) {
      await this.probe.probeAndSave();
      return;
    }
    const previous = await this.tally.previous();
    const reading = await this.probe.takeReading();
    await this.tally.note(reading, previous);
    usageOf(reading, this.probe); // throws for an unreadable machine, as probeAndSave
  }

  /** Stops after the reading in flight, if any, is saved. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.current;
  }
}
