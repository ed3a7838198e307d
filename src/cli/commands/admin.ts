// `canhazgpu admin --gpus N [--force]`: sets up the pool.
import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { userNames } from '../../host/users.js';
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

/**
 * `--force` clears every user's reservations, running jobs' included: on this host's store only root
 * or the store's owner (who set it up) may do that. The file is writable by every user by design, so
 * this stops mistakes and casual misuse, not someone editing it by hand.
 */
async function mayReinitialize(path: string): Promise<void> {
  let owner: number;
  try {
    owner = statSync(path).uid;
  } catch {
    return; // nothing to clear yet
  }
  const me = process.getuid?.();
  if (me === undefined || me === 0 || me === owner) return;
  const who = owner === 0 ? 'root' : `root or ${(await userNames([owner])).get(owner) ?? `uid ${owner}`} (its owner)`;
  throw new UsageError(`Only ${who} may reinitialize the pool at ${path}: --force clears every user's reservations`);
}

export async function adminCommand(opts: AdminOptions, ctx: Context): Promise<number> {
  if (opts.gpus === undefined) throw new UsageError("Missing option '--gpus'. Usage: canhazgpu admin --gpus <count> [--force]");
  const count = parseGpuCountFlag(opts.gpus, 0);
  if (typeof count === 'string') throw new UsageError(count);
  const invalid = validateGpuCount(count);
  if (invalid) throw new UsageError(invalid);

  const spec = parseStoreUrl(ctx.config.storeUrl);
  if (opts.force && spec.kind === 'sqlite') await mayReinitialize(spec.path);
  const store = await ctx.openStore({ create: true });
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
  await (await import('../machine-check.js')).warnIfPoolDiffersFromMachine(ctx, count);
  return 0;
}
