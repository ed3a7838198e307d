// `canhazgpu reserve [--gpus N] [--duration D]`: a manual reservation that expires on its own.
import { randomUUID } from 'node:crypto';
import { validateGpuCount } from '../../domain/allocation.js';
import { formatDuration, INVALID_DURATION_MESSAGE, parseDuration } from '../../domain/duration.js';
import { UsageError } from '../../domain/errors.js';
import type { Context } from '../context.js';
import { idList, openPool, parseGpuCountFlag } from '../pool.js';

export interface ReserveOptions {
  gpus: string | undefined;
  duration: string | undefined;
}

export async function reserveCommand(opts: ReserveOptions, ctx: Context): Promise<number> {
  const count = parseGpuCountFlag(opts.gpus, 1);
  if (typeof count === 'string') throw new UsageError(count);
  const invalid = validateGpuCount(count);
  if (invalid) throw new UsageError(invalid);
  const seconds = parseDuration(opts.duration ?? '8h');
  if (seconds === null) throw new UsageError(INVALID_DURATION_MESSAGE);

  const pool = await openPool(ctx);
  try {
    const user = await ctx.currentUser();
    const ids = await pool.allocate({
      count,
      user,
      type: 'manual',
      durationMs: seconds * 1000,
      token: randomUUID(),
      owner: null,
    });
    ctx.stdout.write(`Reserved ${ids.length} GPU(s): ${idList(ids)} for ${formatDuration(seconds)}\n`);
  } finally {
    await pool.store.close();
  }
  return 0;
}
