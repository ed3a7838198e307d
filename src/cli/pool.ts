// Steps several commands share: reading the hardware, judging owners, allocating.
import type { AllocationRequest } from '../domain/allocation.js';
import { livenessOf, type Liveness } from '../domain/liveness.js';
import { probeOrNull, type Store } from '../domain/ports.js';
import type { GpuSlot } from '../domain/reservation.js';
import { gpusInUse, listedGpus, type GpuUsage } from '../domain/usage.js';
import type { Context } from './context.js';

/** The hardware's view, or null after the seed's warning when it cannot be read. */
export async function readUsage(ctx: Context): Promise<GpuUsage[] | null> {
  const usage = await probeOrNull(ctx.probe);
  if (usage === null) ctx.stderr.write(`Warning: Could not detect GPU usage (${ctx.probe.toolName} unavailable)\n`);
  return usage;
}

export function livenessFor(ctx: Context, slots: GpuSlot[]): Liveness {
  return livenessOf(slots, ctx.ownerState, ctx.config.staleAfterMs);
}

export type Grant = Pick<AllocationRequest, 'count' | 'type' | 'token' | 'owner' | 'user'> & {
  /** Manual reservations: how long they last, from the moment of the grant. */
  durationMs: number | null;
};

/** Reads the hardware, then allocates in one atomic store step, leaving out GPUs in use or not found. */
export async function allocate(ctx: Context, store: Store, grant: Grant): Promise<number[]> {
  const [usage, snapshot] = await Promise.all([readUsage(ctx), store.snapshot()]);
  const { durationMs, ...rest } = grant;
  const now = ctx.clock.now();
  const ids = await store.allocate({
    ...rest,
    now,
    expiryTime: durationMs === null ? null : now + durationMs,
    inUse: usage ? gpusInUse(usage, ctx.config.inUseThresholdMb) : [],
    listed: listedGpus(usage),
    liveness: livenessFor(ctx, snapshot.slots),
  });
  return [...ids].sort((a, b) => a - b);
}

/** `[1, 3]`, as the seeds print id lists. */
export function idList(ids: readonly number[]): string {
  return `[${ids.join(', ')}]`;
}

/** Parses a --gpus value, or null with the problem in `error`. */
export function parseGpuCountFlag(raw: string | undefined, fallback: number): number | string {
  if (raw === undefined) return fallback;
  if (!/^\s*-?\d+\s*$/.test(raw)) return `Invalid value for '--gpus': '${raw}' is not a valid integer.`;
  return Number(raw);
}
