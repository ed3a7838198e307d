// The filter flags of `cloud offers` and `cloud reserve`, checked before anything is sent.
import { UsageError } from '../../domain/errors.js';

export interface FilterFlags {
  minVram?: string | undefined;
  maxPrice?: string | undefined;
  provider?: string | undefined;
  gpuModel?: string | undefined;
  location?: string | undefined;
  numGpus?: string | undefined;
}

export function number(flag: string, text: string | undefined, integer = false): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0 || (integer && !Number.isInteger(value))) {
    throw new UsageError(`${flag} must be ${integer ? 'a whole number' : 'a number'} of at least 0, got '${text}'`);
  }
  return value;
}

/** The server's filter fields (snake_case), only those given. */
export function filterFields(f: FilterFlags): Record<string, string | number> {
  const out: Record<string, string | number | undefined> = {
    min_vram: number('--min-vram', f.minVram),
    max_price: number('--max-price', f.maxPrice),
    num_gpus: number('--num-gpus', f.numGpus, true),
    provider: f.provider,
    gpu_model: f.gpuModel,
    location: f.location,
  };
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined)) as Record<string, string | number>;
}
