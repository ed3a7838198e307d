// Keeps this host's shared GPU reading fresh for as long as it runs (`canhazgpu agent`, `serve`), so
// that `status`, `reserve` and `run` find one young enough and start no nvidia-smi of their own.
import type { SharedProbe } from '../probe/shared-probe.js';

export class ReadingKeeper {
  private timer: NodeJS.Timeout | null = null;
  private current: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly probe: SharedProbe,
    private readonly intervalMs: number,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Reads now, then every interval after each reading ends (a slow probe never piles up). */
  start(): void {
    const tick = () => {
      this.current = this.probe.probeAndSave().then(
        () => undefined,
        (err: unknown) => this.onError(err),
      );
      void this.current.then(() => {
        if (!this.stopped) this.timer = setTimeout(tick, this.intervalMs);
      });
    };
    tick();
  }

  /** Stops after the reading in flight, if any, is saved. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.current;
  }
}
