// `canhazgpu release`: ends the caller's manual reservations; `run` reservations end with their command.
import type { Context } from '../context.js';
import { idList, openPool } from '../pool.js';

export async function releaseCommand(ctx: Context): Promise<number> {
  const pool = await openPool(ctx);
  try {
    const released = await pool.releaseManual(await ctx.currentUser());
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
