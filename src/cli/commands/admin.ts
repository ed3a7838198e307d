// `canhazgpu admin --gpus N [--force]`: sets up the pool.
import { hostname } from 'node:os';
import { userNames } from '../../host/users.js';
import { mayReinitialize, type PoolOwner } from '../../domain/pool-owner.js';
import type { Store } from '../../domain/ports.js';
import { validateGpuCount } from '../../domain/allocation.js';
import { UsageError } from '../../domain/errors.js';
import { ALLOCATION_POLICIES, type AllocationPolicy, isAllocationPolicy } from '../../domain/reservation.js';
import type { Context } from '../context.js';
import { parseGpuCountFlag } from '../pool.js';

export interface AdminOptions {
  gpus: string | undefined;
  force: boolean;
  /** A new store only its owner may write, served to the others by `canhazgpu agent`. */
  private?: boolean;
  /** `--policy lru|mru-per-user`: kept with the pool; alone, it changes an existing pool's. */
  policy?: string | undefined;
}

function parsePolicy(raw: string | undefined): AllocationPolicy | null {
  if (raw === undefined) return null;
  if (isAllocationPolicy(raw)) return raw;
  throw new UsageError(`Invalid value for '--policy': '${raw}' (choose ${ALLOCATION_POLICIES.join(' or ')})`);
}

/** Refuses `--force` unless the caller is root or set the pool up (see domain/pool-owner.ts). */
async function checkMayReinitialize(
  store: Store,
  caller: PoolOwner,
  what: 'reinitialize' | 'change' = 'reinitialize',
): Promise<void> {
  const owner = await store.poolOwner();
  if (mayReinitialize(owner, caller)) return;
  const name = owner!.user || (await userNames([owner!.uid])).get(owner!.uid) || `uid ${owner!.uid}`;
  const who =
    owner!.uid === 0 || owner!.uid < 0
      ? 'root'
      : `root or ${name}${owner!.host === caller.host ? '' : ` on ${owner!.host}`} (its owner)`;
  if (what === 'change') throw new UsageError(`Only ${who} may change the policy of the pool at ${poolPlace(store)}`);
  throw new UsageError(
    `Only ${who} may reinitialize the pool at ${poolPlace(store)}: --force clears every user's reservations`,
  );
}

const poolPlace = (store: Store) => store.location.replace(/^sqlite:/, '');

export async function adminCommand(opts: AdminOptions, ctx: Context): Promise<number> {
  const policy = parsePolicy(opts.policy);
  if (opts.gpus === undefined && policy !== null && !opts.force) return setPolicyCommand(policy, ctx);
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
    if (policy !== null) {
      await store.setPolicy(policy);
      ctx.stdout.write(`Allocation policy: ${policy}\n`);
    }
  } finally {
    await store.close();
  }
  await (await import('../machine-check.js')).warnIfPoolDiffersFromMachine(ctx, count);
  return 0;
}

/** `admin --policy P` alone: changes how an existing pool chooses GPUs (root or whoever set it up). */
async function setPolicyCommand(policy: AllocationPolicy, ctx: Context): Promise<number> {
  // On Redis, whoever set the pool up changes it there themself, not through the agent (root's alone there).
  const store = await ctx.openStore({ direct: true });
  try {
    await checkMayReinitialize(store, { uid: ctx.uid(), user: await ctx.currentUser(), host: hostname() }, 'change');
    await store.setPolicy(policy);
    ctx.stdout.write(`Allocation policy: ${policy}\n`);
  } finally {
    await store.close();
  }
  return 0;
}
