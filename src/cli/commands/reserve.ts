// `canhazgpu reserve [--gpus N | --gpu-ids 1,3] [--duration D] [--note T] [--json]`: a manual reservation
// that expires on its own; `reserve --extend D` moves the end of the caller's manual reservations.
import { randomUUID } from 'node:crypto';
import { formatDuration, INVALID_DURATION_MESSAGE, parseDuration } from '../../domain/duration.js';
import { CanhazError, UsageError } from '../../domain/errors.js';
import { parseChoice, type ChoiceFlags } from '../choice.js';
import type { Context } from '../context.js';
import { idList, openPool } from '../pool.js';

export interface ReserveOptions extends ChoiceFlags {
  duration: string | undefined;
  /** `--extend D`: add D to every manual reservation of the caller instead of reserving. */
  extend?: string | undefined;
  json?: boolean;
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

  const pool = await openPool(ctx);
  try {
    const user = await ctx.currentUser();
    const ids = await pool.allocate({
      ...choice,
      user,
      type: 'manual',
      durationMs: seconds * 1000,
      token: randomUUID(),
      owner: null,
    });
    if (opts.json) {
      const expiry = unixSeconds(ctx.clock.now()) + seconds;
      const reply = { reserved: ids, duration_seconds: seconds, expiry_time: expiry, note: choice.note ?? null };
      ctx.stdout.write(`${JSON.stringify(reply)}\n`);
    } else {
      ctx.stdout.write(`Reserved ${ids.length} GPU(s): ${idList(ids)} for ${formatDuration(seconds)}\n`);
    }
  } finally {
    await pool.store.close();
  }
  return 0;
}

async function extendCommand(opts: ReserveOptions, ctx: Context): Promise<number> {
  const others = (['gpus', 'gpuIds', 'duration', 'note'] as const).filter((k) => opts[k] !== undefined);
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
