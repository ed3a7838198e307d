// `canhazgpu release [--gpu-ids 1,3] [--json]`: ends the caller's manual reservations (only those GPUs of
// them with --gpu-ids); `run` reservations end with their command.
import { parseReleaseIds } from '../choice.js';
import type { Context } from '../context.js';
import { idList, openPool } from '../pool.js';

export interface ReleaseOptions {
  gpuIds?: string | undefined;
  json?: boolean;
  /** Another host of the fleet sharing the store: the caller's manual reservations there. */
  host?: string;
}

export async function releaseCommand(ctx: Context, opts: ReleaseOptions = {}): Promise<number> {
  const only = parseReleaseIds(opts.gpuIds);
  const user = await ctx.currentUser();
  let released: number[];
  if (opts.host !== undefined) {
    const { openFleet } = await import('../fleet.js');
    const { fleet, close } = await openFleet(ctx, 'allocate');
    try {
      released = await fleet.releaseOn(opts.host, user, only);
    } finally {
      await close();
    }
  } else {
    const pool = await openPool(ctx);
    try {
      released = await pool.releaseManual(user, only);
    } finally {
      await pool.store.close();
    }
  }
  if (opts.json) ctx.stdout.write(`${JSON.stringify({ released })}\n`);
  else
    ctx.stdout.write(
      released.length > 0
        ? `Released ${released.length} GPU(s): ${idList(released)}\n`
        : 'No manually reserved GPUs found for current user\n',
    );
  return 0;
}
