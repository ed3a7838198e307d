// `canhazgpu release`: ends the caller's manual reservations; `run` reservations end with their command.
import type { Context } from '../context.js';
import { idList, livenessFor } from '../pool.js';

export async function releaseCommand(ctx: Context): Promise<number> {
  const store = await ctx.openStore();
  try {
    const user = await ctx.currentUser();
    const { slots } = await store.snapshot();
    const released = await store.releaseManual(user, ctx.clock.now(), livenessFor(ctx, slots));
    ctx.stdout.write(
      released.length > 0
        ? `Released ${released.length} GPU(s): ${idList([...released].sort((a, b) => a - b))}\n`
        : 'No manually reserved GPUs found for current user\n',
    );
  } finally {
    await store.close();
  }
  return 0;
}
