// What the hardware shows: memory and processes per GPU, as any probe reports them.

export interface GpuProcess {
  pid: number | null;
  /** Executable name as shown to people (`python3`), or null when the driver hides it. */
  name: string | null;
  usedMemoryMb: number | null;
  /** The process owner's login name, or null when it cannot be seen (e.g. another container). */
  user: string | null;
  /** The model the process serves, read from its command line (`vllm serve X`, `--model X`). */
  model: string | null;
}

export interface GpuUsage {
  index: number;
  uuid: string | null;
  name: string | null;
  memoryUsedMb: number | null;
  memoryTotalMb: number | null;
  processes: GpuProcess[];
}

export const DEFAULT_IN_USE_THRESHOLD_MB = 1024;

/** Memory in use: the GPU's own figure, else the sum its processes report (unified-memory parts print N/A). */
export function memoryUsedMb(gpu: GpuUsage): number {
  if (gpu.memoryUsedMb !== null) return gpu.memoryUsedMb;
  return gpu.processes.reduce((sum, p) => sum + (p.usedMemoryMb ?? 0), 0);
}

export function isInUse(gpu: GpuUsage, thresholdMb: number): boolean {
  return memoryUsedMb(gpu) > thresholdMb;
}

/** The GPU ids whose memory use marks them taken, whoever holds a reservation. */
export function gpusInUse(usage: readonly GpuUsage[], thresholdMb: number): number[] {
  return usage.filter((g) => isInUse(g, thresholdMb)).map((g) => g.index);
}

/** The GPU ids the probe lists, or null when it could not read (then no GPU counts as missing). */
export function listedGpus(usage: readonly GpuUsage[] | null): number[] | null {
  return usage ? usage.map((g) => g.index) : null;
}

export function firstModel(gpu: GpuUsage | undefined): string | null {
  return gpu?.processes.find((p) => p.model)?.model ?? null;
}
