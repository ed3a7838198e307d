// What the commands share: this host's pool, opened on the context's store and probe, and the original manual's
// ways of printing and parsing GPU ids.
import type { OpenOptions } from '../store/open.js';
import { PoolService } from '../pool/pool-service.js';
import type { Context } from './context.js';

/** The pool on a freshly opened store; the caller closes `pool.store`. */
export async function openPool(ctx: Context, options: OpenOptions = {}): Promise<PoolService> {
  return new PoolService({
    store: await ctx.openStore(options),
    probe: ctx.probe,
    clock: ctx.clock,
    owners: { state: (owner) => ctx.ownerState(owner) },
    staleAfterMs: ctx.config.staleAfterMs,
    inUseThresholdMb: ctx.config.inUseThresholdMb,
    onProbeUnavailable: (tool) => ctx.stderr.write(`Warning: Could not detect GPU usage (${tool} unavailable)\n`),
  });
}

/** `[1, 3]`, as the original manual prints id lists. */
export function idList(ids: readonly number[]): string {
  return `[${ids.join(', ')}]`;
}

/** Parses a --gpus value, or null with the problem in `error`. */
export function parseGpuCountFlag(raw: string | undefined, fallback: number): number | string {
  if (raw === undefined) return fallback;
  if (!/^\s*-?\d+\s*$/.test(raw)) return `Invalid value for '--gpus': '${raw}' is not a valid integer.`;
  return Number(raw);
}
