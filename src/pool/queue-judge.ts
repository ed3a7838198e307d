// The wait queue as the agent of a private store judges it for its ordinary callers: on its own look at
// the store and its own GPU reading (the one every command on the host shares), with the same policy the
// CLI applies, so a caller that speaks the socket directly can neither jump the queue nor sit at its head.
import type { AllocationRequest } from '../domain/allocation.js';
import { admit } from '../domain/queue-policy.js';
import type { PoolService } from './pool-service.js';
import { departedWaiters, queueSituation } from './queue-situation.js';

export class QueueJudge {
  constructor(private readonly pool: PoolService) {}

  /**
   * `req` as the queue admits it now: narrowed to the GPUs earlier waiters leave, with the queue it was
   * judged on and the agent's reading; else throws the refusal the CLI prints. Only a manual reservation's
   * end (which the store enforces) lets it start ahead of a waiter by backfill: a run's timeout is its
   * own process's to keep, so a run from a caller the agent does not trust declares none.
   */
  async admit(req: AllocationRequest): Promise<AllocationRequest> {
    const { count, type, token, owner, user, only, exact, note, now, expiryTime } = req;
    const durationMs = type === 'manual' && expiryTime !== null ? Math.max(0, expiryTime - now) : null;
    const judged = await this.pool.judgeTurn({ count, type, token, owner, user, only, exact, note, durationMs });
    if (!judged.request) throw judged.turn.refusal;
    return { ...judged.request, expiryTime: type === 'manual' ? expiryTime : null };
  }

  /** The ids of the live waiters the queue would grant now (enough free GPUs, earlier waiters served first). */
  async admissible(): Promise<Set<string>> {
    const queue = this.pool.store.queue;
    if (!queue) return new Set();
    const reading = await this.pool.read();
    const entries = await queue.waiters();
    const departed = new Set(departedWaiters(reading, entries));
    const live = entries.filter((e) => !departed.has(e.id));
    const situation = queueSituation(reading, this.pool.free(reading), live);
    const granted = live.filter((e) => admit(situation, { ...e, endsAt: null }).grant !== null);
    return new Set(granted.map((e) => e.id));
  }
}
