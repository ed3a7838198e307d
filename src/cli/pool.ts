// What the commands share: this host's pool, opened on the context's store and probe, and the original manual's
// ways of printing and parsing GPU ids.
import type { GpuProbe, ReadingStore, Store } from '../domain/ports.js';
import { SharedProbe } from '../probe/shared-probe.js';
import type { OpenOptions } from '../store/open.js';
import { PoolService } from '../pool/pool-service.js';
import type { Context } from './context.js';

export const isReadingStore = (store: Store): store is Store & ReadingStore => 'claimProbe' in store;

/** The host's GPU reading shared through `store` (see SharedProbe), as fresh as `purpose` needs. */
export function sharedProbe(ctx: Context, store: Store, purpose: 'allocate' | 'status' | 'agent'): SharedProbe | null {
  if (!isReadingStore(store)) return null;
  const { config } = ctx;
  const maxAgeMs = { allocate: config.readingMaxAgeMs, status: config.statusReadingMaxAgeMs, agent: 0 }[purpose];
  return new SharedProbe({
    inner: ctx.probe,
    readings: store,
    clock: ctx.clock,
    host: config.host,
    maxAgeMs,
    // nvidia-smi runs its two queries one after the other, each within the timeout.
    probeHoldMs: 2 * config.nvidiaSmiTimeoutMs + 1000,
    prober: () => ctx.ownerOf(),
    owners: { state: (owner) => ctx.ownerState(owner) },
  });
}

/** The pool on a freshly opened store; the caller closes `pool.store`. */
export async function openPool(
  ctx: Context,
  options: OpenOptions = {},
  purpose: 'allocate' | 'status' = 'allocate',
): Promise<PoolService> {
  const store = await ctx.openStore(options);
  return poolOn(ctx, store, sharedProbe(ctx, store, purpose) ?? ctx.probe);
}

/** A pool on `store` whose GPUs `probe` reads; the original manual's warning when it cannot. */
export function poolOn(ctx: Context, store: Store, probe: GpuProbe, warn = true): PoolService {
  return new PoolService({
    store,
    probe,
    clock: ctx.clock,
    owners: { state: (owner) => ctx.ownerState(owner) },
    staleAfterMs: ctx.config.staleAfterMs,
    inUseThresholdMb: ctx.config.inUseThresholdMb,
    onProbeUnavailable: warn
      ? (tool) => ctx.stderr.write(`Warning: Could not detect GPU usage (${tool} unavailable)\n`)
      : undefined,
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
