// `canhazgpu release`: ends the caller's manual reservations; `run` reservations end with their command.
import type { Context } from '../context.js';
import { idList, openPool } from '../pool.js';

/** `--host H`: the caller's manual reservations on another host of the fleet sharing the store. */
export async function releaseCommand(ctx: Context, opts: { host?: string } = {}): Promise<number> {
  const user = await ctx.currentUser();
  let released: number[];
  if (opts.host !== undefined) {
    const { openFleet } = await import('../fleet.js');
    const { fleet, close } = await openFleet(ctx, 'allocate');
    try {
      released = await fleet.releaseOn(opts.host, user);
    } finally {
      await close();
    }
  } else {
    const pool = await openPool(ctx);
    try {
      released = await pool.releaseManual(user);
    } finally {
      await pool.store.close();
    }
  }
  ctx.stdout.write(
    released.length > 0
      ? `Released ${released.length} GPU(s): ${idList(released)}\n`
      : 'No manually reserved GPUs found for current user\n',
  );
  return 0;
}
