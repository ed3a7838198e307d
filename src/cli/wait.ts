// `--wait [DURATION]` of `run` and `reserve`: the queue's place shown on stderr (a live line on a
// terminal, a line per change otherwise), and SIGINT/SIGTERM/SIGHUP leaving the queue before dying.
import { INVALID_DURATION_MESSAGE, parseDuration } from '../domain/duration.js';
import { CanhazError, UsageError } from '../domain/errors.js';
import { describeWanted } from '../domain/queue.js';
import type { Grant, PoolService } from '../pool/pool-service.js';
import { allocateWaiting } from '../pool/queue-waiter.js';
import type { Context, Output } from './context.js';

/** What commander gives for `--wait [duration]`: absent, present alone, or with a value. */
export type WaitFlag = string | boolean | undefined;

/** --wait's limit in ms: undefined when not waiting, null to wait for ever. */
export function parseWaitFlag(raw: WaitFlag): number | null | undefined {
  if (raw === undefined || raw === false) return undefined;
  if (raw === true) return null;
  const seconds = parseDuration(raw);
  if (seconds === null) throw new UsageError(`Invalid value for '--wait': '${raw}'. ${INVALID_DURATION_MESSAGE}`);
  return seconds * 1000;
}

/** Stopped by a signal while waiting: the queue was left, nothing is held. */
export class WaitInterruptedError extends CanhazError {
  override readonly exitCode: number;
  constructor(readonly signal: NodeJS.Signals) {
    super(`Stopped waiting (${signal}); left the queue, nothing is held`);
    this.exitCode = 128 + ({ SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as Record<string, number>)[signal]!;
  }
}

function placeLine(out: Output, what: string) {
  const live = (out as { isTTY?: boolean }).isTTY === true;
  let shown = '';
  return {
    show(position: number) {
      const text = `Waiting for ${what}: position ${position} in queue (canhazgpu queue shows who is ahead)`;
      if (text === shown) return;
      shown = text;
      out.write(live ? `\r\x1b[K${text}` : `${text}\n`);
    },
    clear() {
      if (live && shown) out.write('\r\x1b[K');
      shown = '';
    },
  };
}

/** Grants at once, or with `waitMs` (see parseWaitFlag) waits in the queue for the whole request. */
export async function allocateOrWait(
  pool: PoolService,
  grant: Grant,
  waitMs: number | null | undefined,
  ctx: Context,
): Promise<number[]> {
  if (waitMs === undefined) return pool.allocate(grant);
  const controller = new AbortController();
  const interrupts = ctx.interrupts?.();
  void interrupts?.signal.then((signal) => controller.abort(new WaitInterruptedError(signal)));
  const line = placeLine(ctx.stderr, describeWanted({ count: grant.count, requestedIds: grant.only ?? null }));
  try {
    return await allocateWaiting(pool, grant, {
      clock: ctx.clock,
      until: waitMs === null ? null : ctx.clock.now() + waitMs,
      signal: controller.signal,
      onPlace: (position) => line.show(position),
      onStoreTrouble: (message) => {
        line.clear();
        ctx.stderr.write(`Warning: ${message} Still waiting.\n`);
      },
    });
  } catch (err) {
    line.clear();
    interrupts?.dispose(); // before dying of the signal: caught, it would not kill
    // Out of the queue now: die of the signal, as the command would have without waiting.
    if (err instanceof WaitInterruptedError) ctx.dieOf(err.signal);
    throw err;
  } finally {
    interrupts?.dispose();
    line.clear();
  }
}
