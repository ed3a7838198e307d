// The `nvidia` provider: NVML when libnvidia-ml loads, nvidia-smi otherwise. The choice is made on
// first use, so commands that read a shared reading, or nothing, never load the library.
import { ProbeUnavailableError, type GpuProbe } from '../domain/ports.js';
import type { GpuUsage } from '../domain/usage.js';
import type { NvmlProbe } from './nvml/nvml-probe.js';

export class BestNvidiaProbe implements GpuProbe {
  private chosen: GpuProbe | null = null;

  constructor(
    private readonly nvml: NvmlProbe,
    private readonly nvidiaSmi: GpuProbe,
  ) {}

  private choice(): GpuProbe {
    if (this.chosen) return this.chosen;
    try {
      this.nvml.load();
      this.chosen = this.nvml;
    } catch (err) {
      if (!(err instanceof ProbeUnavailableError)) throw err;
      this.chosen = this.nvidiaSmi;
    }
    return this.chosen;
  }

  /** `NVML` or `nvidia-smi`: the warnings name the tool that failed. */
  get toolName(): string {
    return this.choice().toolName;
  }

  probe(): Promise<GpuUsage[]> {
    return this.choice().probe();
  }

  close(): void {
    this.chosen?.close?.();
  }
}
