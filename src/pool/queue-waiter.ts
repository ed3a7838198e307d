// Waiting in the queue: a request that cannot start joins it, beats while it waits, looks again
// whenever the store says something changed, and leaves it however the wait ends. It holds nothing
// until its whole request is granted at once.
import { formatDuration } from '../domain/duration.js';
import { CanhazError, StoreUnavailableError } from '../domain/errors.js';
import type { Clock, QueueStore } from '../domain/ports.js';
import { describeWanted, QUEUE_HEARTBEAT_MS, type QueueEntry, wanted } from '../domain/queue.js';
import type { Grant, PoolService, Turn } from './pool-service.js';
import { nextExpiry, usableGpus } from './queue-situation.js';

export interface WaitOptions {
  clock: Clock;
  /** When to give up, or null to wait for ever. */
  until: number | null;
  /** Aborting leaves the queue at once; the wait then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Told the place in the queue (1-based) and how many wait, at each look. */
  onPlace?(position: number, waiters: number): void;
  /** The longest pause between looks when nothing is heard: an owner that dies, a tool that does not publish. */
  pollMs?: number;
  /** Told once when the store stops answering while waiting (the wait goes on, and beats resume with it). */
  onStoreTrouble?(message: string): void;
}

/** How long a waiter pauses before asking a store that stopped answering again. */
const TROUBLE_PAUSE_MS = 500;

/** The wait given by --wait ran out; nothing is held. */
export class WaitTimedOutError extends CanhazError {}

/** Grants `grant` now if the queue allows, else waits its turn (its token is its queue id). */
export async function allocateWaiting(pool: PoolService, grant: Grant, o: WaitOptions): Promise<number[]> {
  const started = o.clock.now();
  const first = await pool.allocateInTurn(grant);
  if (first.ids) return first.ids;
  const queue = pool.store.queue;
  if (!queue) throw first.refusal;
  const entry = newEntry(grant, o);
  const size = first.reading.snapshot.gpuCount;
  const outOfRange = entry.requestedIds?.find((id) => id >= size);
  if (outOfRange !== undefined) throw new CanhazError(`GPU ID ${outOfRange} is out of range (0-${size - 1})`);
  const usable = usableGpus(first.reading);
  if (wanted(entry) > usable) {
    throw new CanhazError(`Cannot wait for ${describeWanted(entry)}: this machine's pool has ${usable} usable GPUs`);
  }
  if (o.signal?.aborted) throw o.signal.reason;
  await queue.enqueue(entry);
  const beating = setInterval(() => void beat(queue, entry, o.clock), QUEUE_HEARTBEAT_MS);
  const aborted = new Promise<void>((resolve) => o.signal?.addEventListener('abort', () => resolve(), { once: true }));
  let troubled = false;
  let granted = false;
  try {
    for (;;) {
      if (o.signal?.aborted) throw o.signal.reason;
      let turn: Turn;
      try {
        turn = await pool.allocateInTurn(grant);
      } catch (err) {
        // A store restarting (Redis) costs the place only if it lost the queue, and the heartbeat puts it back.
        if (!(err instanceof StoreUnavailableError)) throw err;
        if (!troubled) o.onStoreTrouble?.(err.message);
        troubled = true;
        if (o.until !== null && o.clock.now() >= o.until) throw err;
        await Promise.race([new Promise((r) => setTimeout(r, TROUBLE_PAUSE_MS)), aborted]);
        continue;
      }
      troubled = false;
      if (turn.ids) {
        granted = true; // and out of the queue with it (the store's same step)
        return turn.ids;
      }
      o.onPlace?.(turn.admission.position, turn.waiters);
      const now = o.clock.now();
      if (o.until !== null && now >= o.until) {
        throw new WaitTimedOutError(
          `Gave up waiting for ${describeWanted(entry)} after ${formatDuration(Math.round((o.until - started) / 1000))} (position ${turn.admission.position} in queue); nothing is held`,
        );
      }
      const expiry = nextExpiry(turn.reading);
      const pause = Math.min(
        o.pollMs ?? 1_000,
        expiry === null ? Number.POSITIVE_INFINITY : expiry - now + 5,
        o.until === null ? Number.POSITIVE_INFINITY : o.until - now,
      );
      await Promise.race([queue.changed(Math.max(1, pause)), aborted]);
    }
  } finally {
    clearInterval(beating);
    if (!granted) await queue.leave([entry.id]).catch(() => {}); // else a ghost, gone within seconds
  }
}

function newEntry(grant: Grant, o: WaitOptions): QueueEntry {
  const now = o.clock.now();
  return {
    id: grant.token,
    user: grant.user,
    actualUser: grant.user,
    count: grant.count,
    requestedIds: grant.only ? [...grant.only] : null,
    type: grant.type,
    durationMs: grant.durationMs ?? grant.timeoutMs ?? null,
    note: grant.note ?? null,
    enqueuedAt: now,
    lastHeartbeat: now,
    waitUntil: o.until,
    ours: true,
  };
}

/** Keeps the place: a waiter dropped as a ghost (a suspended machine) comes back at its first place. */
async function beat(queue: QueueStore, entry: QueueEntry, clock: Clock): Promise<void> {
  try {
    if (!(await queue.beat(entry.id, clock.now()))) await queue.enqueue({ ...entry, lastHeartbeat: clock.now() });
  } catch {
    // the store is away: the next beat tries again
  }
}
