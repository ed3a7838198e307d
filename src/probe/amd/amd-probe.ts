// The amd-smi probe: three JSON queries run side by side, with a timeout, then parsed. GPUs are the
// indices amd-smi gives them, which `run` turns into ROCR/HIP/CUDA_VISIBLE_DEVICES (see visible-devices.ts).
import { type GpuProbe, ProbeUnavailableError } from '../../domain/ports.js';
import type { GpuUsage } from '../../domain/usage.js';
import { hostProcessInfo, type ProcessInfoSource } from '../process-info.js';
import { usageOfListing } from '../nvidia/usage.js';
import { runTool } from '../run-tool.js';
import { AmdSmiOutputError, listing } from './parse.js';

export const AMD_SMI_QUERIES = {
  list: ['list', '--json'],
  metric: ['metric', '--mem-usage', '--json'],
  process: ['process', '--json'],
} as const;

export interface AmdProbeOptions {
  command?: string;
  timeoutMs?: number;
  processInfo?: ProcessInfoSource;
}

/** The three answers as GpuUsage; unreadable output is the probe being unavailable, as a failed run is. */
export async function parseAmdUsage(
  list: string,
  metric: string,
  process: string,
  info: ProcessInfoSource,
): Promise<GpuUsage[]> {
  try {
    return await usageOfListing(listing(list, metric, process), info);
  } catch (err) {
    if (err instanceof AmdSmiOutputError) throw new ProbeUnavailableError(err.message);
    throw err;
  }
}

export class AmdSmiProbe implements GpuProbe {
  readonly toolName = 'amd-smi';
  readonly vendor = 'amd' as const;
  private readonly command: string;
  private readonly timeoutMs: number;
  private readonly processInfo: ProcessInfoSource;

  constructor(options: AmdProbeOptions = {}) {
    this.command = options.command ?? 'amd-smi';
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.processInfo = options.processInfo ?? hostProcessInfo;
  }

  async probe(): Promise<GpuUsage[]> {
    const [list, metric, process] = await Promise.all(
      [AMD_SMI_QUERIES.list, AMD_SMI_QUERIES.metric, AMD_SMI_QUERIES.process].map((args) =>
        runTool(this.command, args, this.timeoutMs),
      ),
    );
    return parseAmdUsage(list!, metric!, process!, this.processInfo);
  }
}
