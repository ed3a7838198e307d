// `canhazgpu run --gpus N -- CMD…`: reserves, runs CMD on those GPUs, releases however CMD ends.
import { crypto } from '../../host/builtins.js';
import { visibleDevicesEnv } from '../../domain/visible-devices.js';
import { formatDuration, INVALID_DURATION_MESSAGE, parseDuration } from '../../domain/duration.js';
import { StoreUnavailableError, UsageError } from '../../domain/errors.js';
import type { EndReason } from '../../domain/history.js';
import type { Store } from '../../domain/ports.js';
import { supervise, type TimeLimit, type Timers } from '../../run/supervisor.js';
import { ignoreWriteErrors } from '../../run/terminal.js';
import { type ChoiceFlags, parseChoice } from '../choice.js';
import type { Context } from '../context.js';
import { idList, openPool } from '../pool.js';
import { allocateOrWait, parseWaitFlag, type WaitFlag } from '../wait.js';

export const RUN_USAGE = 'Usage: canhazgpu run --gpus <count> -- <command> [args]...';

/** GNU timeout's exit status for a command whose time ran out. */
export const TIMED_OUT_EXIT = 124;
const DEFAULT_KILL_AFTER = '30s';

export interface RunOptions extends ChoiceFlags {
  /** `--timeout D`: SIGTERM to the command when D is up, SIGKILL `--kill-after` later. */
  timeout?: string | undefined;
  killAfter?: string | undefined;
  /** The grant line on stderr as JSON. */
  json?: boolean;
  /** Tests fire the time limit by hand. */
  timers?: Timers;
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

async function releaseWithRetry(
  ctx: Context,
  store: Store,
  token: string,
  ids: number[],
  reason: EndReason,
): Promise<void> {
  const deadline = Date.now() + RELEASE_RETRY_MS;
  for (let wait = 100; ; wait = Math.min(wait * 2, 2000)) {
    try {
      await store.releaseToken(token, ctx.clock.now(), reason);
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

/** `--timeout` and `--kill-after` as a time limit, or null without `--timeout`. */
function timeLimit(opts: RunOptions, ctx: Context): TimeLimit | null {
  if (opts.timeout === undefined) {
    if (opts.killAfter !== undefined) throw new UsageError('--kill-after needs --timeout');
    return null;
  }
  const seconds = (raw: string, flag: string) => {
    const s = parseDuration(raw);
    if (s === null) throw new UsageError(`Invalid value for '${flag}'. ${INVALID_DURATION_MESSAGE}`);
    return s;
  };
  const after = seconds(opts.timeout, '--timeout');
  const grace = seconds(opts.killAfter ?? DEFAULT_KILL_AFTER, '--kill-after');
  return {
    afterMs: after * 1000,
    killAfterMs: grace * 1000,
    onTimeout: () =>
      ctx.stderr.write(
        `canhazgpu: the command ran out of its ${formatDuration(after)}; sending SIGTERM (SIGKILL in ${formatDuration(grace)})\n`,
      ),
  };
}

export async function runCommand(opts: RunOptions, ctx: Context): Promise<number> {
  if (opts.command === null) throw new UsageError(`Missing '--' before the command. ${RUN_USAGE}`);
  if (opts.command.length === 0 || opts.command[0] === '')
    throw new UsageError(`No command given after '--'. ${RUN_USAGE}`);
  if (opts.stray?.length)
    throw new UsageError(`Unexpected '${opts.stray.join(' ')}' before '--': the command goes after it. ${RUN_USAGE}`);
  const choice = parseChoice(opts);
  const limit = timeLimit(opts, ctx);
  const waitMs = parseWaitFlag(opts.wait);

  const pool = await openPool(ctx, { reconnect: true });
  const store = pool.store;
  // An SSH session that ends leaves run writing to a terminal that hung up: run lives on to release.
  ignoreWriteErrors(ctx.stdout, ctx.stderr);
  let killedBy: NodeJS.Signals | null = null;
  try {
    const token = crypto().randomUUID();
    const user = await ctx.currentUser();
    // A declared time limit lets the run go ahead of a waiter by backfill.
    const grant = {
      ...choice,
      user,
      type: 'run' as const,
      durationMs: null,
      timeoutMs: limit?.afterMs ?? null,
      token,
      owner: ctx.ownerOf(),
    };
    const ids = await allocateOrWait(pool, grant, waitMs, ctx);
    const env = { ...ctx.env, ...visibleDevicesEnv(ids, ctx.probe.vendor) };
    if (opts.json) {
      const grant = {
        reserved: ids,
        cuda_visible_devices: env['CUDA_VISIBLE_DEVICES'],
        note: choice.note ?? null,
        timeout_seconds: limit ? limit.afterMs / 1000 : null,
      };
      ctx.stderr.write(`${JSON.stringify(grant)}\n`);
    }
    const child = supervise({
      command: opts.command,
      env,
      heartbeatMs: ctx.config.heartbeatMs,
      heartbeat: heartbeater(ctx, store, token, ids),
      stderr: ctx.stderr,
      limit,
      ...(opts.timers ? { timers: opts.timers } : {}),
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
    // The history says how it ended: released, or timed out (run --timeout).
    await releaseWithRetry(ctx, store, token, ids, child.timedOut() ? 'timed_out' : 'released');
    child.detachSignals();
    // A command we ended for its time limit: GNU timeout's 124, never the signal we sent it.
    if (child.timedOut()) return TIMED_OUT_EXIT;
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
