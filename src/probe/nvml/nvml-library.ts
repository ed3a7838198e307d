// libnvidia-ml.so.1 through koffi: the few NVML calls a reading needs, with the fallbacks older
// drivers want. Signatures, constants and struct layouts follow nvml.h (CUDA 13.3; the same since
// CUDA 11.x for what is used here), as published in NVIDIA/go-nvml gen/nvml/nvml.h.
import { createRequire } from 'node:module';
import type * as Koffi from 'koffi';
import { ProbeUnavailableError } from '../../domain/ports.js';

export const DEFAULT_NVML_LIBRARY = 'libnvidia-ml.so.1';

// nvmlReturn_t values (nvml.h `nvmlReturn_enum`).
export const NVML_SUCCESS = 0;
export const NVML_ERROR_NOT_SUPPORTED = 3;
export const NVML_ERROR_NO_PERMISSION = 4;
export const NVML_ERROR_NOT_FOUND = 6;
export const NVML_ERROR_INSUFFICIENT_SIZE = 7;
const NVML_ERROR_ARGUMENT_VERSION_MISMATCH = 25;

/** NVML_VALUE_NOT_AVAILABLE is `(-1)` stored in an unsigned long long. */
export const NVML_VALUE_NOT_AVAILABLE = 0xffff_ffff_ffff_ffffn;
// NVML_DEVICE_UUID_V2_BUFFER_SIZE and NVML_DEVICE_NAME_V2_BUFFER_SIZE are both 96.
const TEXT_BUFFER = 96;
// nvmlSystemGetProcessName crops to the length given; Linux paths end at PATH_MAX (4096).
const PROCESS_NAME_BUFFER = 4096;

/** A handle is an opaque pointer (`nvmlDevice_t`); koffi 3 gives pointers as BigInt. */
export type Device = bigint;

export interface Memory {
  total: number | bigint;
  used: number | bigint;
}

export interface ProcessInfo {
  pid: number;
  usedGpuMemory: number | bigint;
}

export interface Result<T> {
  code: number;
  value: T | null;
}

/** The calls a reading makes; each answers NVML's own return code, never throws for one. */
export interface NvmlLibrary {
  readonly path: string;
  /** On a worker thread: without persistence mode the driver's start-up takes seconds, or hangs. */
  init(): Promise<number>;
  shutdown(): number;
  errorString(code: number): string;
  deviceCount(): Result<number>;
  handle(index: number): Result<Device>;
  uuid(device: Device): Result<string>;
  name(device: Device): Result<string>;
  memory(device: Device): Result<Memory>;
  /** `capacity` entries at most; on INSUFFICIENT_SIZE `value` is empty and `needed` says how many. */
  computeProcesses(device: Device, capacity: number): Result<ProcessInfo[]> & { needed: number };
  processName(pid: number): Result<string>;
}

/** koffi is native: loaded on first use so commands that probe nothing never pay for it. */
function koffi(): typeof Koffi {
  return createRequire(import.meta.url)('koffi') as typeof Koffi;
}

/** A symbol the library may lack (older drivers), or null. */
function optional<T>(declare: () => T): T | null {
  try {
    return declare();
  } catch {
    return null;
  }
}

/** `dlopen` failing (no driver installed, wrong architecture) is the probe being unavailable. */
export function loadNvml(path: string = DEFAULT_NVML_LIBRARY): NvmlLibrary {
  let k: typeof Koffi;
  try {
    k = koffi();
  } catch (err) {
    // A platform koffi has no prebuilt binary for, or an install without it.
    throw new ProbeUnavailableError(`cannot load koffi, through which NVML is read: ${(err as Error).message}`);
  }
  let lib: Koffi.LibraryHandle;
  try {
    lib = k.load(path);
  } catch (err) {
    throw new ProbeUnavailableError(`cannot load ${path}: ${(err as Error).message}`);
  }
  try {
    return bind(k, lib, path);
  } catch (err) {
    throw new ProbeUnavailableError(`${path} is not a usable NVML: ${(err as Error).message}`);
  }
}

function bind(k: typeof Koffi, lib: Koffi.LibraryHandle, path: string): NvmlLibrary {
  // nvmlMemory_t and nvmlMemory_v2_t (nvml.h): v1's `used` includes the driver's reserved memory,
  // v2's does not, and v2's is what nvidia-smi prints as memory.used (0 MiB on the recorded idle H200).
  const memoryV1 = k.struct({ total: 'unsigned long long', free: 'unsigned long long', used: 'unsigned long long' });
  const memoryV2 = k.struct({
    version: 'unsigned int',
    total: 'unsigned long long',
    reserved: 'unsigned long long',
    free: 'unsigned long long',
    used: 'unsigned long long',
  });
  // NVML_STRUCT_VERSION(Memory, 2): the struct's size with the version in the top byte.
  const memoryV2Version = k.sizeof(memoryV2) | (2 << 24);
  // nvmlProcessInfo_v1_t takes the unversioned call; nvmlProcessInfo_v2_t (also named nvmlProcessInfo_t)
  // both _v2 and _v3. nvmlProcessDetail_v1_t, with its protected memory, belongs to another call.
  const processV1 = k.struct({ pid: 'unsigned int', usedGpuMemory: 'unsigned long long' });
  const processV2 = k.struct({
    pid: 'unsigned int',
    usedGpuMemory: 'unsigned long long',
    gpuInstanceId: 'unsigned int',
    computeInstanceId: 'unsigned int',
  });

  const init = lib.func('int nvmlInit_v2(void)');
  const shutdown = lib.func('int nvmlShutdown(void)');
  const errorString = optional(() => lib.func('const char *nvmlErrorString(int result)'));
  const getCount = lib.func('int nvmlDeviceGetCount_v2(_Out_ unsigned int *count)');
  const getHandle = lib.func('int nvmlDeviceGetHandleByIndex_v2(unsigned int index, _Out_ void **device)');
  const getUuid = lib.func('int nvmlDeviceGetUUID(void *device, _Out_ uint8_t *uuid, unsigned int length)');
  const getName = lib.func('int nvmlDeviceGetName(void *device, _Out_ uint8_t *name, unsigned int length)');
  const getMemoryV2 = optional(() =>
    lib.func('nvmlDeviceGetMemoryInfo_v2', 'int', ['void *', k.inout(k.pointer(memoryV2))]),
  );
  const getMemoryV1 = lib.func('nvmlDeviceGetMemoryInfo', 'int', ['void *', k.out(k.pointer(memoryV1))]);
  const getProcessName = optional(() =>
    lib.func('int nvmlSystemGetProcessName(unsigned int pid, _Out_ uint8_t *name, unsigned int length)'),
  );
  // Newest first: _v3 (drivers from 2021), _v2 (CUDA 11.x), the unversioned one with v1's layout.
  const processCall = (suffix: string, type: Koffi.TypeObject) =>
    optional(() => ({
      fn: lib.func(`int nvmlDeviceGetComputeRunningProcesses${suffix}(void *d, _Inout_ unsigned int *n, void *infos)`),
      type,
    }));
  const listProcesses = processCall('_v3', processV2) ?? processCall('_v2', processV2) ?? processCall('', processV1);
  if (!listProcesses) throw new Error('no nvmlDeviceGetComputeRunningProcesses');

  const text = (call: (buf: Buffer) => number): Result<string> => {
    const buf = Buffer.alloc(TEXT_BUFFER);
    const code = call(buf);
    return { code, value: code === NVML_SUCCESS ? cString(buf) : null };
  };

  return {
    path,
    init: () =>
      new Promise((resolve, reject) => {
        init.async((err: unknown, code: number) => (err ? reject(err) : resolve(code)));
      }),
    shutdown: () => shutdown() as number,
    errorString: (code) => (errorString ? (errorString(code) as string | null) : null) ?? `NVML error ${code}`,
    deviceCount() {
      const out = [0];
      const code = getCount(out) as number;
      return { code, value: code === NVML_SUCCESS ? out[0]! : null };
    },
    handle(index) {
      const out: Array<bigint | null> = [null];
      const code = getHandle(index, out) as number;
      return { code, value: code === NVML_SUCCESS ? out[0]! : null };
    },
    uuid: (device) => text((buf) => getUuid(device, buf, buf.length) as number),
    name: (device) => text((buf) => getName(device, buf, buf.length) as number),
    memory(device) {
      if (getMemoryV2) {
        const out = { version: memoryV2Version } as { version: number } & Memory;
        const code = getMemoryV2(device, out) as number;
        if (code !== NVML_ERROR_ARGUMENT_VERSION_MISMATCH) return { code, value: code === NVML_SUCCESS ? out : null };
      }
      const out = {} as Memory;
      const code = getMemoryV1(device, out) as number;
      return { code, value: code === NVML_SUCCESS ? out : null };
    },
    computeProcesses(device, capacity) {
      const count = [capacity];
      const buf = Buffer.alloc(Math.max(1, capacity) * k.sizeof(listProcesses.type));
      const code = listProcesses.fn(device, count, buf) as number;
      const n = count[0]!;
      if (code !== NVML_SUCCESS) return { code, value: null, needed: n };
      const infos = n === 0 ? [] : (k.decode(buf, listProcesses.type, n) as ProcessInfo[]);
      return { code, value: infos, needed: n };
    },
    processName(pid) {
      if (!getProcessName) return { code: NVML_ERROR_NOT_SUPPORTED, value: null };
      const buf = Buffer.alloc(PROCESS_NAME_BUFFER);
      const code = getProcessName(pid, buf, buf.length) as number;
      return { code, value: code === NVML_SUCCESS ? cString(buf) : null };
    },
  };
}

function cString(buf: Buffer): string {
  const end = buf.indexOf(0);
  return buf.toString('utf8', 0, end < 0 ? buf.length : end);
}
