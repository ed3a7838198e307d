// The nvidia-smi probe: two queries run side by side, with a timeout, then parsed.
import { execFile } from 'node:child_process';
import { ProbeUnavailableError, type GpuProbe } from '../../domain/ports.js';
import type { GpuUsage } from '../../domain/usage.js';
import { hostProcessInfo, type ProcessInfoSource } from '../process-info.js';
import {
  APP_QUERY_ARGS,
  firstLine,
  GPU_QUERY_ARGS,
  NvidiaSmiOutputError,
  parseAppRows,
  parseGpuRows,
} from './parse.js';
import { buildUsage } from './usage.js';

export interface NvidiaProbeOptions {
  command?: string;
  timeoutMs?: number;
  processInfo?: ProcessInfoSource;
}

function runSmi(command: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        if (!err) return resolve(stdout);
        const e = err as NodeJS.ErrnoException & { killed?: boolean };
        if (e.code === 'ENOENT') return reject(new ProbeUnavailableError(`${command} not found`));
        if (e.killed) return reject(new ProbeUnavailableError(`${command} timed out after ${timeoutMs} ms`));
        // The driver's own failure texts ("NVIDIA-SMI has failed…", "No devices were found") come on stdout.
        const why = firstLine(stdout) || firstLine(stderr) || e.message;
        reject(new ProbeUnavailableError(`${command} failed: ${why}`));
      },
    );
  });
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
      runSmi(this.command, GPU_QUERY_ARGS, this.timeoutMs),
      runSmi(this.command, APP_QUERY_ARGS, this.timeoutMs),
    ]);
    return parseUsage(gpuText, appText, this.processInfo);
  }
}
