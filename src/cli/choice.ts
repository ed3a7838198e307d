// What `run` and `reserve` share: how many GPUs or which (`--gpus`, `--gpu-ids`), and the note.
import { MAX_POOL_SIZE, validateGpuCount } from '../domain/allocation.js';
import { UsageError } from '../domain/errors.js';
import { parseGpuIds } from '../domain/gpu-ids.js';
import { parseNote } from '../domain/note.js';
import type { Grant } from '../pool/pool-service.js';
import { parseGpuCountFlag } from './pool.js';

export interface ChoiceFlags {
  gpus: string | undefined;
  /** `--gpu-ids 1,3` (`-G`). */
  gpuIds?: string | undefined;
  note?: string | undefined;
}

export type Choice = Pick<Grant, 'count' | 'only' | 'exact' | 'note'>;

/** The request the flags make, or a UsageError naming the problem. */
export function parseChoice(flags: ChoiceFlags): Choice {
  const count = parseGpuCountFlag(flags.gpus, 1);
  if (typeof count === 'string') throw new UsageError(count);
  const invalid = validateGpuCount(count);
  if (invalid) throw new UsageError(invalid);
  const noted = parseNote(flags.note);
  if ('error' in noted) throw new UsageError(noted.error);
  if (flags.gpuIds === undefined) return { count, only: null, exact: false, note: noted.note };
  const ids = parseGpuIds(flags.gpuIds);
  if (typeof ids === 'string') throw new UsageError(ids);
  if (ids.length > MAX_POOL_SIZE) throw new UsageError(`--gpu-ids must name at most ${MAX_POOL_SIZE} GPUs`);
  if (flags.gpus !== undefined && count !== ids.length)
    throw new UsageError(`--gpus ${count} and --gpu-ids ${flags.gpuIds} disagree: give one of them`);
  return { count: ids.length, only: ids, exact: true, note: noted.note };
}

/** `--gpu-ids` of `release`: the GPUs to release, or null for all of the caller's. */
export function parseReleaseIds(raw: string | undefined): number[] | null {
  if (raw === undefined) return null;
  const ids = parseGpuIds(raw);
  if (typeof ids === 'string') throw new UsageError(ids);
  return ids;
}
