// `canhazgpu run --gpus N -- CMD…`: reserves, runs CMD on those GPUs, releases however CMD ends.
import { visibleDevicesEnv } from '../../domain/visible-devices.js';
import { randomUUID } from 'node:crypto';
import { validateGpuCount } from '../../domain/allocation.js';
import { StoreUnavailableError, UsageError } from '../../domain/errors.js';
import type { Store } from '../../domain/ports.js';
import { supervise } from '../../run/supervisor.js';
import type { Context } from '../context.js';
import { idList, openPool, parseGpuCountFlag } from '../pool.js';
import { allocateOrWait, parseWaitFlag, type WaitFlag } from '../wait.js';

export const RUN_USAGE = 'Usage: canhazgpu run --gpus <count> -- <command> [args]...';

export interface RunOptions {
  gpus: string | undefined;
  /** Everything after `--`, or null when `--` is missing. */
  command: string[] | null;
  /** Words before `--` that are not run's options. */
  stray?: string[];
  /** --wait [DURATION]: wait in the queue when too few GPUs are free. */
  wait?: WaitFlag;
}

/** Keeps the reservation alive and says once on stderr if it was taken away (admin --force). */
function heartbeater(ctx: Context, store: Store, token: string, held: number[]) {
  let lostReported = false;
  let failing = false;
  return async () => {
    try {
      const still = await store.heartbeat(token, ctx.clock.now());
      if (failing) ctx.stderr.write('canhazgpu: heartbeat restored\n');
      failing = false;
      const lost = held.filter((id) => !still.includes(id));
      if (lost.length > 0 && !lostReported) {
        lostReported = true;
        ctx.stderr.write(
          `Warning: the reservation of GPU(s) ${idList(lost)} was lost (pool reinitialized by 'canhazgpu admin --force'?); the command keeps running without it\n`,
        );
      }
    } catch (err) {
      if (!failing)
        ctx.stderr.write(
          `Warning: heartbeat failed (${(err as Error).message}); the command keeps running, retrying\n`,
        );
      failing = true;
    }
  };
}

/** How long `run` keeps trying to give its GPUs back to a store that went away (a Redis restart). */
const RELEASE_RETRY_MS = 30_000;

async function releaseWithRetry(ctx: Context, store: Store, token: string, ids: number[]): Promise<void> {
  const deadline = Date.now() + RELEASE_RETRY_MS;
  for (let wait = 100; ; wait = Math.min(wait * 2, 2000)) {
    try {
      await store.releaseToken(token, ctx.clock.now());
      return;
    } catch (err) {
      if (!(err instanceof StoreUnavailableError) || Date.now() + wait > deadline) {
        ctx.stderr.write(
          `Warning: could not release GPU(s) ${idList(ids)} (${(err as Error).message}); they free once their heartbeat is 5 minutes old\n`,
        );
        return;
      }
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}

export async function runCommand(opts: RunOptions, ctx: Context): Promise<number> {
  if (opts.command === null) throw new UsageError(`Missing '--' before the command. ${RUN_USAGE}`);
  if (opts.command.length === 0 || opts.command[0] === '')
    throw new UsageError(`No command given after '--'. ${RUN_USAGE}`);
  if (opts.stray?.length)
    throw new UsageError(`Unexpected '${opts.stray.join(' ')}' before '--': the command goes after it. ${RUN_USAGE}`);
  const count = parseGpuCountFlag(opts.gpus, 1);
  if (typeof count === 'string') throw new UsageError(count);
  const invalid = validateGpuCount(count);
  if (invalid) throw new UsageError(invalid);
  const waitMs = parseWaitFlag(opts.wait);

  const pool = await openPool(ctx, { reconnect: true });
  const store = pool.store;
  let killedBy: NodeJS.Signals | null = null;
  try {
    const token = randomUUID();
    const user = await ctx.currentUser();
    const grant = { count, user, type: 'run' as const, durationMs: null, token, owner: ctx.ownerOf() };
    const ids = await allocateOrWait(pool, grant, waitMs, ctx);
    const env = { ...ctx.env, ...visibleDevicesEnv(ids, ctx.probe.vendor) };
    const child = supervise({
      command: opts.command,
      env,
      heartbeatMs: ctx.config.heartbeatMs,
      heartbeat: heartbeater(ctx, store, token, ids),
      stderr: ctx.stderr,
    });
    // A `run` killed outright (SIGKILL, OOM killer) leaves its command running: the GPUs follow the
    // command, held while it lives and free the moment it ends. Should this fail, `run` stays the owner.
    if (child.pid !== undefined) {
      await store.setOwner(token, ctx.ownerOf(child.pid)).catch((err: Error) => {
        ctx.stderr.write(
          `Warning: could not hand the reservation to the command (${err.message}); if run itself is killed, its GPUs free at once\n`,
        );
      });
    }
    const exitCode = await child.exitCode;
    await releaseWithRetry(ctx, store, token, ids);
    child.detachSignals();
    killedBy = child.killedBy();
    return exitCode;
  } finally {
    await store.close();
    // A command killed by a signal kills run with it, as `timeout` and `env` do: a shell that got
    // Ctrl-C stops a loop of `canhazgpu run` only when the job died of SIGINT (exit status 130 alone
    // means "handled"). Where the signal is ignored, run exits with 128 + its number.
    if (killedBy) ctx.dieOf(killedBy);
  }
}
