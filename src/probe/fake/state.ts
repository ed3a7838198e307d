// The fake provider's machine: GPUs, memory and processes from a JSON file, so machines without GPUs
// (CI, laptops, the demo) exercise the real nvidia-smi formats and parsers.
import { readFileSync } from 'node:fs';

export interface FakeProcess {
  pid: number;
  /** As nvidia-smi prints it (a path); default `python3`. */
  name?: string;
  /** null prints `[N/A]` (Windows WDDM). */
  used_memory_mib?: number | null;
  /** Owner shown by the in-process fake provider; a fake nvidia-smi on PATH reads /proc instead. */
  user?: string;
  cmdline?: string[];
  /** Printed as `[Not Found]`, as for another container's process. */
  hidden?: boolean;
}

export interface FakeGpu {
  name?: string;
  uuid?: string;
  memory_total_mib?: number;
  /** Default: 0 plus the processes' memory; null prints `[N/A]` (unified-memory parts). */
  memory_used_mib?: number | null;
  processes?: FakeProcess[];
}

export type FakeFailure = 'no-driver' | 'no-devices' | 'version-mismatch' | 'hang';

export interface FakeState {
  driver_version?: string;
  failure?: FakeFailure | null;
  /** The stand-in amd-smi's JSON: ROCm 6's bare array (default), or 7's `gpu_data` wrapper. */
  rocm?: 6 | 7;
  gpus: FakeGpu[];
}

export const DEFAULT_FAKE_GPU_COUNT = 8;

export function defaultFakeState(count = DEFAULT_FAKE_GPU_COUNT): FakeState {
  return { gpus: Array.from({ length: count }, () => ({})) };
}

export class FakeStateError extends Error {}

/** Reads the state file; a missing file means a default idle 8-GPU machine. */
export function loadFakeState(path: string | undefined): FakeState {
  if (!path) return defaultFakeState();
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return defaultFakeState();
    throw new FakeStateError(`cannot read fake GPU file ${path}: ${(err as Error).message}`);
  }
  let state: unknown;
  try {
    state = JSON.parse(text);
  } catch (err) {
    throw new FakeStateError(`fake GPU file ${path} is not valid JSON: ${(err as Error).message}`);
  }
  if (!state || typeof state !== 'object' || !Array.isArray((state as FakeState).gpus)) {
    throw new FakeStateError(`fake GPU file ${path} needs a "gpus" array`);
  }
  return state as FakeState;
}

export function fakeUuid(index: number): string {
  const hex = index.toString(16).padStart(8, '0');
  return `GPU-${hex}-fa4e-4c0d-9a1e-00000000c0de`;
}
