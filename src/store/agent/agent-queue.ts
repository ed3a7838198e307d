// The wait queue of a private store as other users' commands reach it: every call goes to the agent
// (queue-gate.ts says what it allows), which keeps its own ids of the caller's entries under the caller's uid.
import { UsageError } from '../../domain/errors.js';
import type { QueueStore } from '../../domain/ports.js';
import type { Backfill, QueueEntry } from '../../domain/queue.js';

/** The agent holds a caller's `changed` at most this long (the waiter looks again by then anyway). */
const MAX_CHANGED_MS = 5_000;

/** What an agent that predates the wait queue answers to every queue call. */
const UNSERVED = /^the canhazgpu agent does not serve 'queue\./;

/** Told to a command that would wait while such an agent keeps the store. */
export const OLD_AGENT_MESSAGE =
  'the canhazgpu agent that keeps this store is older than the wait queue, so nothing can wait in it: ask root to restart the agent (systemctl restart canhazgpu-agent)';

const unserved = (err: unknown) => err instanceof UsageError && UNSERVED.test(err.message);

export type AgentCall = <T>(method: string, ...args: unknown[]) => Promise<T>;

export class AgentQueue implements QueueStore {
  constructor(private readonly call: AgentCall) {}

  /**
   * An agent still running code older than the queue (until root restarts it) keeps none: to the pool,
   * no one waits; only a command that would wait is told.
   */
  private async orNone<T>(none: T, method: string, ...args: unknown[]): Promise<T> {
    try {
      return await this.call<T>(method, ...args);
    } catch (err) {
      if (unserved(err)) return none;
      throw err;
    }
  }

  async enqueue(entry: QueueEntry): Promise<void> {
    try {
      await this.call('queue.enqueue', entry);
    } catch (err) {
      throw unserved(err) ? new UsageError(OLD_AGENT_MESSAGE) : err;
    }
  }
  waiters(): Promise<QueueEntry[]> {
    return this.orNone([], 'queue.waiters');
  }
  beat(id: string, now: number): Promise<boolean> {
    return this.orNone(false, 'queue.beat', id, now);
  }
  leave(ids: readonly string[]): Promise<void> {
    return this.orNone(undefined, 'queue.leave', ids);
  }
  recordBackfill(backfill: Backfill): Promise<void> {
    return this.orNone(undefined, 'queue.recordBackfill', backfill);
  }
  backfills(): Promise<Backfill[]> {
    return this.orNone([], 'queue.backfills');
  }
  async changed(ms: number): Promise<boolean> {
    const wait = Math.min(ms, MAX_CHANGED_MS);
    const started = Date.now();
    try {
      await this.call('queue.changed', wait);
      return Date.now() - started < wait; // the agent answers at a change, or when the time is up
    } catch {
      return true; // an agent that went away counts as a change: the caller looks again, and hears of it then
    }
  }
}
