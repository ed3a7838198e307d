// `canhazgpu admin --gpus N [--force]`: sets up the pool.
import { hostname } from 'node:os';
import { userNames } from '../../host/users.js';
import { mayReinitialize, type PoolOwner } from '../../domain/pool-owner.js';
import type { Store } from '../../domain/ports.js';
import { validateGpuCount } from '../../domain/allocation.js';
import { UsageError } from '../../domain/errors.js';
import type { Context } from '../context.js';
import { parseGpuCountFlag } from '../pool.js';

export interface AdminOptions {
  gpus: string | undefined;
  force: boolean;
  /** A new store only its owner may write, served to the others by `canhazgpu agent`. */
  private?: boolean;
}

/** Refuses `--force` unless the caller is root or set the pool up (see domain/pool-owner.ts). */
async function checkMayReinitialize(store: Store, caller: PoolOwner): Promise<void> {
  const owner = await store.poolOwner();
  if (mayReinitialize(owner, caller)) return;
  const name = owner!.user || (await userNames([owner!.uid])).get(owner!.uid) || `uid ${owner!.uid}`;
  const who =
    owner!.uid === 0 || owner!.uid < 0
      ? 'root'
      : `root or ${name}${owner!.host === caller.host ? '' : ` on ${owner!.host}`} (its owner)`;
  throw new UsageError(
    `Only ${who} may reinitialize the pool at ${poolPlace(store)}: --force clears every user's reservations`,
  );
}

const poolPlace = (store: Store) => store.location.replace(/^sqlite:/, '');

export async function adminCommand(opts: AdminOptions, ctx: Context): Promise<number> {
  if (opts.gpus === undefined)
    throw new UsageError("Missing option '--gpus'. Usage: canhazgpu admin --gpus <count> [--force]");
  const count = parseGpuCountFlag(opts.gpus, 0);
  if (typeof count === 'string') throw new UsageError(count);
  const invalid = validateGpuCount(count);
  if (invalid) throw new UsageError(invalid);

  const store = await ctx.openStore({ create: true, private: opts.private });
  try {
    const me: PoolOwner = { uid: ctx.uid(), user: await ctx.currentUser(), host: hostname() };
    if (opts.force) await checkMayReinitialize(store, me);
    const { previousCount } = await store.initialize(count, opts.force, ctx.clock.now(), me);
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
