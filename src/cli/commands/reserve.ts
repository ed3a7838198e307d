// `canhazgpu reserve [--gpus N] [--duration D]`: a manual reservation that expires on its own.
import { randomUUID } from 'node:crypto';
import { validateGpuCount } from '../../domain/allocation.js';
import { formatDuration, INVALID_DURATION_MESSAGE, parseDuration } from '../../domain/duration.js';
import { UsageError } from '../../domain/errors.js';
import type { Grant } from '../../pool/pool-service.js';
import type { Context } from '../context.js';
import { idList, openPool, parseGpuCountFlag } from '../pool.js';

export interface ReserveOptions {
  gpus: string | undefined;
  duration: string | undefined;
  /** A host of the fleet sharing the store, or `any` for the one the request fits best. */
  host?: string;
}

export async function reserveCommand(opts: ReserveOptions, ctx: Context): Promise<number> {
  const count = parseGpuCountFlag(opts.gpus, 1);
  if (typeof count === 'string') throw new UsageError(count);
  const invalid = validateGpuCount(count);
  if (invalid) throw new UsageError(invalid);
  const seconds = parseDuration(opts.duration ?? '8h');
  if (seconds === null) throw new UsageError(INVALID_DURATION_MESSAGE);

  const grant = async (): Promise<Grant> => ({
    count,
    user: await ctx.currentUser(),
    type: 'manual',
    durationMs: seconds * 1000,
    token: randomUUID(),
    owner: null,
  });
  if (opts.host !== undefined) return reserveInFleet(opts.host, grant, seconds, ctx);
  const pool = await openPool(ctx);
  try {
    const ids = await pool.allocate(await grant());
    ctx.stdout.write(`Reserved ${ids.length} GPU(s): ${idList(ids)} for ${formatDuration(seconds)}\n`);
  } finally {
    await pool.store.close();
  }
  return 0;
}

/** `--host H` or `--host any`: the seed's line, then which host when the fleet chose it. */
async function reserveInFleet(
  host: string,
  grant: () => Promise<Grant>,
  seconds: number,
  ctx: Context,
): Promise<number> {
  if (host.trim() === '') throw new UsageError("--host needs a host name, or 'any'");
  const { openFleet } = await import('../fleet.js');
  const { fleet, close } = await openFleet(ctx, 'allocate');
  try {
    const chosen =
      host === 'any'
        ? await fleet.reserveAnywhere(await grant())
        : { host, ids: await fleet.reserveOn(host, await grant()) };
    ctx.stdout.write(`Reserved ${chosen.ids.length} GPU(s): ${idList(chosen.ids)} for ${formatDuration(seconds)}\n`);
    if (host === 'any') ctx.stdout.write(`On host ${chosen.host}\n`);
  } finally {
    await close();
  }
  return 0;
}
