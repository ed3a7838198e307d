// `canhazgpu admin --gpus N [--force]`: sets up the pool.
import { validateGpuCount } from '../../domain/allocation.js';
import { UsageError } from '../../domain/errors.js';
import type { Context } from '../context.js';
import { parseGpuCountFlag } from '../pool.js';

export interface AdminOptions {
  gpus: string | undefined;
  force: boolean;
}

export async function adminCommand(opts: AdminOptions, ctx: Context): Promise<number> {
  if (opts.gpus === undefined) throw new UsageError("Missing option '--gpus'. Usage: canhazgpu admin --gpus <count> [--force]");
  const count = parseGpuCountFlag(opts.gpus, 0);
  if (typeof count === 'string') throw new UsageError(count);
  const invalid = validateGpuCount(count);
  if (invalid) throw new UsageError(invalid);

  const store = await ctx.openStore({ create: true });
  try {
    const { previousCount } = await store.initialize(count, opts.force, ctx.clock.now());
    const range = `(IDs 0 to ${count - 1})`;
    if (previousCount !== null) {
      ctx.stdout.write(`Force reinitializing: clearing ${previousCount} existing GPUs...\n`);
      ctx.stdout.write(`Reinitialized ${count} GPUs ${range}\n`);
    } else {
      ctx.stdout.write(`Initialized ${count} GPUs ${range}\n`);
    }
  } finally {
    await store.close();
  }
  return 0;
}
