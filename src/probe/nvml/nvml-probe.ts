// The NVML probe: reads the GPUs through the library under nvidia-smi, without starting a process.
// NVML stays initialised between readings (agent and serve pay the driver's start-up once) until close.
import { ProbeUnavailableError, type GpuProbe } from '../../domain/ports.js';
import type { GpuUsage } from '../../domain/usage.js';
import type { AppRow, GpuRow } from '../nvidia/parse.js';
import { usageOfListing, type ListedGpu } from '../nvidia/usage.js';
import { hostProcessInfo, type ProcessInfoSource } from '../process-info.js';
import {
  DEFAULT_NVML_LIBRARY,
  type Device,
  loadNvml,
  NVML_ERROR_INSUFFICIENT_SIZE,
  NVML_SUCCESS,
  NVML_VALUE_NOT_AVAILABLE,
  type NvmlLibrary,
} from './nvml-library.js';

export interface NvmlProbeOptions {
  /** The library to load: CANHAZGPU_NVML_LIBRARY, else `libnvidia-ml.so.1` from the loader's path. */
  library?: string;
  /** How long nvmlInit may take before the probe counts as unavailable (a driver that hangs). */
  timeoutMs?: number;
  processInfo?: ProcessInfoSource;
}

// Processes are listed into this many entries first; more only when NVML asks (and rarely twice).
const FIRST_CAPACITY = 64;
const LIST_ATTEMPTS = 4;

/** Bytes as nvidia-smi prints MiB (whole MiB, rounded down); NVML_VALUE_NOT_AVAILABLE reads as `[N/A]`. */
export function mib(bytes: number | bigint): number | null {
  if (typeof bytes === 'bigint') return bytes === NVML_VALUE_NOT_AVAILABLE ? null : Number(bytes >> 20n);
  return Math.floor(bytes / 1048576);
}

export class NvmlProbe implements GpuProbe {
  readonly toolName = 'NVML';
  private readonly libraryPath: string;
  private readonly processInfo: ProcessInfoSource;
  private readonly timeoutMs: number;
  private lib: NvmlLibrary | null = null;
  private initialised = false;
  /** The nvmlInit in flight: a reading after a timed-out one waits for it rather than start another. */
  private initialising: Promise<number | Error> | null = null;

  constructor(options: NvmlProbeOptions = {}) {
    this.libraryPath = options.library ?? DEFAULT_NVML_LIBRARY;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.processInfo = options.processInfo ?? hostProcessInfo;
  }

  /** Loads the library, or throws ProbeUnavailableError saying why (the `nvidia` provider's test). */
  load(): NvmlLibrary {
    this.lib ??= loadNvml(this.libraryPath);
    return this.lib;
  }

  async probe(): Promise<GpuUsage[]> {
    const lib = this.load();
    if (!this.initialised) await this.init(lib);
    return usageOfListing(readListing(lib), this.processInfo);
  }

  private async init(lib: NvmlLibrary): Promise<void> {
    // A failure is not kept: a driver loaded later (or a fixed mismatch) is found by the next reading.
    // A success is recorded even when nobody waits for it any more, so NVML is never initialised twice.
    // An FFI error comes as a value: one nobody waits for any more must not be an unhandled rejection.
    this.initialising ??= lib.init().then(
      (code) => {
        this.initialising = null;
        if (code === NVML_SUCCESS) this.initialised = true;
        return code;
      },
      (err: unknown) => {
        this.initialising = null;
        return err instanceof Error ? err : new Error(String(err));
      },
    );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new ProbeUnavailableError(`nvmlInit timed out after ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
    });
    try {
      const code = await Promise.race([this.initialising, timeout]);
      if (code instanceof Error) throw new ProbeUnavailableError(`nvmlInit failed: ${code.message}`);
      if (code !== NVML_SUCCESS) throw new ProbeUnavailableError(`nvmlInit failed: ${lib.errorString(code)}`);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Shuts NVML down; a later reading initialises it again. */
  close(): void {
    if (this.initialised) this.lib?.shutdown();
    this.initialised = false;
  }
}

function readListing(lib: NvmlLibrary): ListedGpu[] {
  const count = lib.deviceCount();
  if (count.value === null) {
    throw new ProbeUnavailableError(`nvmlDeviceGetCount failed: ${lib.errorString(count.code)}`);
  }
  const listed: ListedGpu[] = [];
  for (let index = 0; index < count.value; index++) {
    // A GPU without a handle (another container's, or lost) is left out: never handed out, as with
    // nvidia-smi, which cannot list it either. nvidia-smi's index is this enumeration order.
    const device = lib.handle(index).value;
    if (device === null) continue;
    const gpu = readGpu(lib, device, index);
    listed.push({ gpu, apps: readApps(lib, device, gpu.uuid) });
  }
  return listed;
}

// Any failing query reads as nvidia-smi's marker for it (`[Not Supported]`, `[Insufficient Permissions]`):
// no value.
function readGpu(lib: NvmlLibrary, device: Device, index: number): GpuRow {
  const memory = lib.memory(device).value;
  return {
    index,
    uuid: lib.uuid(device).value,
    name: lib.name(device).value,
    memoryUsedMb: memory ? mib(memory.used) : null,
    memoryTotalMb: memory ? mib(memory.total) : null,
  };
}

/** NOT_SUPPORTED, NO_PERMISSION and the like list nothing, as nvidia-smi's rows of markers do. */
function readApps(lib: NvmlLibrary, device: Device, gpuUuid: string | null): AppRow[] {
  let capacity = FIRST_CAPACITY;
  for (let attempt = 0; attempt < LIST_ATTEMPTS; attempt++) {
    const listing = lib.computeProcesses(device, capacity);
    if (listing.code === NVML_ERROR_INSUFFICIENT_SIZE) {
      // Processes may start between two calls: ask for what NVML said, with room for a few more.
      capacity = Math.max(capacity, listing.needed) + 16;
      continue;
    }
    return (listing.value ?? []).map((p) => ({
      gpuUuid,
      pid: p.pid,
      // nvidia-smi's process_name comes from the same call; NOT_FOUND (another container's) is `[Not Found]`.
      processName: lib.processName(p.pid).value,
      usedMemoryMb: mib(p.usedGpuMemory),
    }));
  }
  return [];
}
