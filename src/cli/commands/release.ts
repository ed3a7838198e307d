// `canhazgpu release [--gpu-ids 1,3] [--json]`: ends the caller's manual reservations (only those GPUs of
// them with --gpu-ids); `run` reservations end with their command.
import { parseReleaseIds } from '../choice.js';
import type { Context } from '../context.js';
import { idList, openPool } from '../pool.js';

export interface ReleaseOptions {
  gpuIds?: string | undefined;
  json?: boolean;
}

export async function releaseCommand(ctx: Context, opts: ReleaseOptions = {}): Promise<number> {
  const only = parseReleaseIds(opts.gpuIds);
  const pool = await openPool(ctx);
  try {
    const released = await pool.releaseManual(await ctx.currentUser(), only);
    if (opts.json) ctx.stdout.write(`${JSON.stringify({ released })}\n`);
    else
      ctx.stdout.write(
        released.length > 0
          ? `Released ${released.length} GPU(s): ${idList(released)}\n`
          : 'No manually reserved GPUs found for current user\n',
      );
  } finally {
    await pool.store.close();
  }
  return 0;
}
