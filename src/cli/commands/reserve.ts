// `canhazgpu reserve [--gpus N | --gpu-ids 1,3] [--duration D] [--note T] [--json]`: a manual reservation
// that expires on its own; `reserve --extend D` moves the end of the caller's manual reservations.
import { crypto } from '../../host/builtins.js';
import { formatDuration, INVALID_DURATION_MESSAGE, parseDuration } from '../../domain/duration.js';
import { CanhazError, UsageError } from '../../domain/errors.js';
import type { Grant } from '../../pool/pool-service.js';
import { parseChoice, type ChoiceFlags } from '../choice.js';
import type { Context } from '../context.js';
import { idList, openPool } from '../pool.js';
import { allocateOrWait, parseWaitFlag, type WaitFlag } from '../wait.js';

export interface ReserveOptions extends ChoiceFlags {
  duration: string | undefined;
  /** `--extend D`: add D to every manual reservation of the caller instead of reserving. */
  extend?: string | undefined;
  json?: boolean;
  /** A host of the fleet sharing the store, or `any` for the one the request fits best. */
  host?: string;
  /** --wait [DURATION]: wait in the queue when too few GPUs are free. */
  wait?: WaitFlag;
}

const unixSeconds = (ms: number) => Math.floor(ms / 1000);

function parsedDuration(raw: string): number {
  const seconds = parseDuration(raw);
  if (seconds === null) throw new UsageError(INVALID_DURATION_MESSAGE);
  return seconds;
}

export async function reserveCommand(opts: ReserveOptions, ctx: Context): Promise<number> {
  if (opts.extend !== undefined) return extendCommand(opts, ctx);
  const choice = parseChoice(opts);
  const seconds = parsedDuration(opts.duration ?? '8h');

  const grant = async (): Promise<Grant> => ({
    ...choice,
    user: await ctx.currentUser(),
    type: 'manual',
    durationMs: seconds * 1000,
    token: crypto().randomUUID(),
    owner: null,
  });
  const reply = (ids: number[], host?: string) => {
    if (opts.json) {
      const expiry = unixSeconds(ctx.clock.now()) + seconds;
      const json = { reserved: ids, duration_seconds: seconds, expiry_time: expiry, note: choice.note ?? null };
      ctx.stdout.write(`${JSON.stringify(host === undefined ? json : { ...json, host })}\n`);
    } else {
      ctx.stdout.write(`Reserved ${ids.length} GPU(s): ${idList(ids)} for ${formatDuration(seconds)}\n`);
      if (opts.host === 'any') ctx.stdout.write(`On host ${host}\n`);
    }
  };
  const waitMs = parseWaitFlag(opts.wait);
  if (opts.host !== undefined) {
    if (waitMs !== undefined) throw new UsageError('--wait does not combine with --host yet');
    return reserveInFleet(opts.host, grant, reply, ctx);
  }
  // A waiter lives on: it waits for locks without blocking its heartbeat, and rides out a Redis restart.
  const pool = await openPool(ctx, { reconnect: waitMs !== undefined });
  try {
    reply(await allocateOrWait(pool, await grant(), waitMs, ctx));
  } finally {
    await pool.store.close();
  }
  return 0;
}

/** `--host H` or `--host any`: the seed's line, then which host when the fleet chose it. */
async function reserveInFleet(
  host: string,
  grant: () => Promise<Grant>,
  reply: (ids: number[], host: string) => void,
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
    reply(chosen.ids, chosen.host);
  } finally {
    await close();
  }
  return 0;
}

async function extendCommand(opts: ReserveOptions, ctx: Context): Promise<number> {
  const others = (['gpus', 'gpuIds', 'duration', 'note', 'host', 'wait'] as const).filter((k) => opts[k] !== undefined);
  if (others.length > 0)
    throw new UsageError('--extend adds time to all your manual reservations: give it alone (with --json at most)');
  const seconds = parsedDuration(opts.extend!);
  const pool = await openPool(ctx);
  try {
    const extended = await pool.extendManual(await ctx.currentUser(), seconds * 1000);
    if (extended.length === 0) throw new CanhazError('No manually reserved GPUs found for current user');
    if (opts.json) {
      const gpus = extended.map((g) => ({ gpu_id: g.id, expiry_time: unixSeconds(g.expiryTime) }));
      ctx.stdout.write(`${JSON.stringify({ extended: gpus, added_seconds: seconds })}\n`);
    } else {
      const ids = extended.map((g) => g.id);
      ctx.stdout.write(`Extended ${ids.length} GPU(s): ${idList(ids)} by ${formatDuration(seconds)}\n`);
    }
  } finally {
    await pool.store.close();
  }
  return 0;
}
