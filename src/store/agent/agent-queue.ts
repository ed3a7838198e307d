// The wait queue of a private store as other users' commands reach it: every call goes to the agent
// (queue-gate.ts says what it allows), which keeps its own ids of the caller's entries under the caller's uid.
import type { QueueStore } from '../../domain/ports.js';
import type { Backfill, QueueEntry } from '../../domain/queue.js';

/** The agent holds a caller's `changed` at most this long (the waiter looks again by then anyway). */
const MAX_CHANGED_MS = 5_000;

export type AgentCall = <T>(method: string, ...args: unknown[]) => Promise<T>;

export class AgentQueue implements QueueStore {
  constructor(private readonly call: AgentCall) {}

  enqueue(entry: QueueEntry): Promise<void> {
    return this.call('queue.enqueue', entry);
  }
  waiters(): Promise<QueueEntry[]> {
    return this.call('queue.waiters');
  }
  beat(id: string, now: number): Promise<boolean> {
    return this.call('queue.beat', id, now);
  }
  leave(ids: readonly string[]): Promise<void> {
    return this.call('queue.leave', ids);
  }
  recordBackfill(backfill: Backfill): Promise<void> {
    return this.call('queue.recordBackfill', backfill);
  }
  backfills(): Promise<Backfill[]> {
    return this.call('queue.backfills');
  }
  async changed(ms: number): Promise<void> {
    try {
      await this.call('queue.changed', Math.min(ms, MAX_CHANGED_MS));
    } catch {
      // An agent that went away counts as a change: the caller looks again, and hears of it then.
    }
  }
}
