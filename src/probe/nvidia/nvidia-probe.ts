// The nvidia-smi probe: two queries run side by side, with a timeout, then parsed.
import { ProbeUnavailableError, type GpuProbe } from '../../domain/ports.js';
import { runTool } from '../run-tool.js';
import type { GpuUsage } from '../../domain/usage.js';
import { hostProcessInfo, type ProcessInfoSource } from '../process-info.js';
import { APP_QUERY_ARGS, GPU_QUERY_ARGS, NvidiaSmiOutputError, parseAppRows, parseGpuRows } from './parse.js';
import { buildUsage } from './usage.js';

export interface NvidiaProbeOptions {
  command?: string;
  timeoutMs?: number;
  processInfo?: ProcessInfoSource;
}

export function parseUsage(gpuText: string, appText: string, info: ProcessInfoSource): Promise<GpuUsage[]> {
  try {
    return buildUsage(parseGpuRows(gpuText), parseAppRows(appText), info);
  } catch (err) {
    if (err instanceof NvidiaSmiOutputError) throw new ProbeUnavailableError(err.message);
    throw err;
  }
}

export class NvidiaSmiProbe implements GpuProbe {
  readonly toolName = 'nvidia-smi';
  private readonly command: string;
  private readonly timeoutMs: number;
  private readonly processInfo: ProcessInfoSource;

  constructor(options: NvidiaProbeOptions = {}) {
    this.command = options.command ?? 'nvidia-smi';
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.processInfo = options.processInfo ?? hostProcessInfo;
  }

  async probe(): Promise<GpuUsage[]> {
    const [gpuText, appText] = await Promise.all([
      runTool(this.command, GPU_QUERY_ARGS, this.timeoutMs),
      runTool(this.command, APP_QUERY_ARGS, this.timeoutMs),
    ]);
    return parseUsage(gpuText, appText, this.processInfo);
  }
}
