// `canhazgpu reserve [--gpus N] [--duration D]`: a manual reservation that expires on its own.
import { randomUUID } from 'node:crypto';
import { validateGpuCount } from '../../domain/allocation.js';
import { formatDuration, INVALID_DURATION_MESSAGE, parseDuration } from '../../domain/duration.js';
import { UsageError } from '../../domain/errors.js';
import type { Context } from '../context.js';
import { idList, openPool, parseGpuCountFlag } from '../pool.js';
import { allocateOrWait, parseWaitFlag, type WaitFlag } from '../wait.js';

export interface ReserveOptions {
  gpus: string | undefined;
  duration: string | undefined;
  /** --wait [DURATION]: wait in the queue when too few GPUs are free. */
  wait?: WaitFlag;
}

export async function reserveCommand(opts: ReserveOptions, ctx: Context): Promise<number> {
  const count = parseGpuCountFlag(opts.gpus, 1);
  if (typeof count === 'string') throw new UsageError(count);
  const invalid = validateGpuCount(count);
  if (invalid) throw new UsageError(invalid);
  const seconds = parseDuration(opts.duration ?? '8h');
  if (seconds === null) throw new UsageError(INVALID_DURATION_MESSAGE);
  const waitMs = parseWaitFlag(opts.wait);

  // A waiter lives on: it waits for locks without blocking its heartbeat, and rides out a Redis restart.
  const pool = await openPool(ctx, { reconnect: waitMs !== undefined });
  try {
    const user = await ctx.currentUser();
    const grant = {
      count,
      user,
      type: 'manual' as const,
      durationMs: seconds * 1000,
      token: randomUUID(),
      owner: null,
    };
    const ids = await allocateOrWait(pool, grant, waitMs, ctx);
    ctx.stdout.write(`Reserved ${ids.length} GPU(s): ${idList(ids)} for ${formatDuration(seconds)}\n`);
  } finally {
    await pool.store.close();
  }
  return 0;
}
