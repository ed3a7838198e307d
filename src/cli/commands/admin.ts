// `canhazgpu admin --gpus N [--force]`: sets up the pool.
import { dirname } from 'node:path';
import { isSticky } from '../../host/filesystem.js';
import { DEFAULT_STORE, parseStoreUrl } from '../../store/open.js';
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
  const spec = parseStoreUrl(ctx.config.storeUrl);
  if (spec.kind === 'sqlite' && isSticky(dirname(spec.path))) {
    ctx.stderr.write(`Warning: ${dirname(spec.path)} has the sticky bit set, so users cannot remove each other's WAL files there; prefer a directory of its own such as ${dirname(DEFAULT_STORE)}\n`);
  }
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
