// The wait queue as the agent serves it: every user lists it (like status), and an ordinary caller
// enqueues, beats and leaves only its own entries, as its own user, its ids kept under its uid's
// prefix (an id copied from someone else names nothing of theirs), at the agent's clock. Others' entries
// it may remove only once they are gone by the agent's own judgement (a dead waiter's, a granted one's),
// as every look at the queue does on a shared store. An ordinary caller's entry that the queue would
// grant, but whose caller does not take the GPUs within a grace, is gone too: nobody squats at the head.
import { type AllocationRequest, MAX_POOL_SIZE } from '../../domain/allocation.js';
import { UsageError } from '../../domain/errors.js';
import { activeReservation, livenessOf } from '../../domain/liveness.js';
import { parseNote } from '../../domain/note.js';
import type { Clock, OwnerProcesses, QueueStore, Store } from '../../domain/ports.js';
import { type Backfill, isGhost, type QueueEntry, wanted } from '../../domain/queue.js';
import { ChangeFeed } from './change-feed.js';
import { asSeenBy, asThemself, type Caller, ids, MAX_EXTEND_MS, storedToken, text, tokenPrefix } from './gate-rules.js';

/** Entries one ordinary user may hold in the queue at once (each waiting command holds one). */
export const MAX_WAITERS_PER_USER = 16;
/** Backfill records one ordinary user may have kept at once (only `queue` shows them). */
const MAX_BACKFILLS_PER_USER = 64;
/** The longest an ordinary caller's `changed` holds its connection (its waiter looks at least every second). */
const MAX_CHANGED_MS = 5_000;
/** The longest a timer waits (setTimeout fires at once beyond it). */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Ids one `leave` may name (a look at the queue removes every departed waiter at once). */
const MAX_LEAVE_IDS = 4_096;

/**
 * How long an ordinary caller may leave the GPUs the queue grants it untaken: an honest waiter looks at
 * least every second and allocates at once, so this is many of its looks (and of its beats).
 */
export const ADMITTED_GRACE_MS = 10_000;
/** A caller that let a grant lapse is remembered this long: its entries get no grace meanwhile. */
const LAPSE_REMEMBERED_MS = 10 * 60_000;
/** The uid prefix (gate-rules.ts tokenPrefix) of an ordinary caller's queue id. */
const CALLER_PREFIX = /^uid\d+:/;

/** How the agent judges the queue for the callers it does not trust (pool/queue-judge.ts). */
export interface AgentQueueJudge {
  /** The request as the queue admits it now, narrowed and with the queue judged; else throws the refusal. */
  admit(req: AllocationRequest): Promise<AllocationRequest>;
  /** The ids of the waiters the queue would grant now. */
  admissible(): Promise<Set<string>>;
}

export interface QueueGateOptions {
  store: Store;
  clock: Clock;
  owners: OwnerProcesses;
  staleAfterMs: number;
  judge: AgentQueueJudge;
}

type Handler = (caller: Caller, args: unknown[]) => Promise<unknown>;

export class QueueGate {
  /** Wakes waiting callers; the gate reports every change it makes to who holds or who waits. */
  readonly feed: ChangeFeed;
  /** The feed's generation at each caller's (connection's) last look at the pool. */
  private readonly looks = new WeakMap<Caller, number>();
  /** Enqueues one at a time, so two of one user's at once cannot both pass the cap. */
  private enqueued: Promise<unknown> = Promise.resolve();
  /** Per ordinary caller (uid prefix): since when the queue grants one of its entries (as last judged). */
  private readonly admitted = new Map<string, number>();
  /** Per ordinary caller: when it last let a grant lapse. */
  private readonly lapses = new Map<string, number>();

  constructor(private readonly o: QueueGateOptions) {
    this.feed = new ChangeFeed(o.store.queue);
  }

  private get queue(): QueueStore {
    const queue = this.o.store.queue;
    if (!queue) throw new UsageError('this store keeps no wait queue');
    return queue;
  }

  readonly handlers: Record<string, Handler> = {
    'queue.enqueue': (caller, [entry]) => {
      if (caller.trusted) return this.queue.enqueue(entry as QueueEntry);
      const next = this.enqueued.then(() => this.enqueueOwn(caller, entry));
      this.enqueued = next.catch(() => {});
      return next;
    },
    'queue.waiters': async (caller) => {
      await this.evictLapsed();
      return (await this.queue.waiters()).map((e) => ({ ...e, id: asSeenBy(caller, e.id) }));
    },
    'queue.beat': async (caller, [id, now]) => {
      // A lapsed entry is gone by now: false tells its waiter to queue again, at the back.
      if (!caller.trusted) await this.evictLapsed();
      return this.queue.beat(storedToken(caller, id), caller.trusted ? (now as number) : this.o.clock.now());
    },
    'queue.leave': async (caller, [list]) => {
      if (!Array.isArray(list) || list.length > MAX_LEAVE_IDS) {
        throw new UsageError('the canhazgpu agent needs the waiters that leave as a list of ids');
      }
      const named = list.map((id) => text(id, 'queue id'));
      return this.queue.leave(caller.trusted ? named : await this.mayLeave(caller, named));
    },
    'queue.recordBackfill': async (caller, [raw]) => {
      if (caller.trusted) return this.queue.recordBackfill(raw as Backfill);
      return this.queue.recordBackfill(await this.ownBackfill(caller, raw));
    },
    'queue.backfills': async (caller) =>
      (await this.queue.backfills()).map((b) => ({ ...b, passed: asSeenBy(caller, b.passed) })),
    'queue.changed': async (caller, [ms]) => {
      if (typeof ms !== 'number' || !(ms >= 0)) throw new UsageError('the canhazgpu agent needs a time to wait');
      // A change between the caller's last look and this call wakes it at once, not a second later.
      await this.feed.next(Math.min(ms, caller.trusted ? MAX_TIMER_MS : MAX_CHANGED_MS), this.looks.get(caller));
    },
  };

  /** `caller` is looking at the pool now: what changes after this, its `changed` hears. */
  looking(caller: Caller): void {
    this.looks.set(caller, this.feed.generation);
  }

  /**
   * An ordinary caller's request as the queue admits it, judged here on the agent's own look (its own
   * `queueSeen`): what the caller says it saw proves nothing of the order. Lapsed entries go first.
   */
  async admit(req: AllocationRequest): Promise<AllocationRequest> {
    await this.evictLapsed();
    return this.o.judge.admit(req);
  }

  /** One of `caller`'s waiters took its turn: a grant of its entries no longer counts as lapsing. */
  granted(caller: Caller): void {
    this.admitted.delete(tokenPrefix(caller));
  }

  /**
   * Removes the ordinary callers' entries the queue has granted for longer than the grace without their
   * caller taking the GPUs; returns their ids. A caller whose grant lapsed gets no grace for a while: a new
   * entry of theirs that the queue would grant at once goes at once.
   */
  async evictLapsed(): Promise<string[]> {
    const entries = (await this.queue.waiters()).filter((e) => CALLER_PREFIX.test(e.id));
    if (entries.length === 0 && this.admitted.size === 0) return [];
    const admissible = entries.length === 0 ? new Set() : await this.o.judge.admissible();
    const now = this.o.clock.now();
    const granted = entries.filter((e) => admissible.has(e.id));
    const prefixes = new Set(granted.map(callerOf));
    // A caller none of whose entries the queue grants now starts afresh when it does again.
    for (const prefix of this.admitted.keys()) if (!prefixes.has(prefix)) this.admitted.delete(prefix);
    for (const prefix of prefixes) if (!this.admitted.has(prefix)) this.admitted.set(prefix, now);
    for (const [prefix, at] of this.lapses) if (now - at > LAPSE_REMEMBERED_MS) this.lapses.delete(prefix);
    const lapsed = granted.filter((e) => {
      const grace = this.lapses.has(callerOf(e)) ? 0 : ADMITTED_GRACE_MS;
      return now - this.admitted.get(callerOf(e))! >= grace;
    });
    if (lapsed.length === 0) return [];
    for (const e of lapsed) {
      this.lapses.set(callerOf(e), now);
      this.admitted.delete(callerOf(e));
    }
    await this.queue.leave(lapsed.map((e) => e.id));
    this.feed.changed();
    return lapsed.map((e) => e.id);
  }

  private async enqueueOwn(caller: Caller, raw: unknown): Promise<void> {
    const entry = checkEntry(caller, raw);
    const { gpuCount } = await this.o.store.snapshot();
    if (wanted(entry) > gpuCount || entry.requestedIds?.some((id) => id < 0 || id >= gpuCount)) {
      throw new UsageError(`the canhazgpu agent's pool has GPUs 0 to ${gpuCount - 1}: wait for those`);
    }
    const now = this.o.clock.now();
    const prefix = tokenPrefix(caller);
    const mine = (await this.queue.waiters()).filter((e) => e.id.startsWith(prefix));
    if (mine.some((e) => e.id === entry.id)) throw new UsageError('you already wait in the queue under that id');
    // Ghosts of the caller's own killed waiters hold no place, and no share of the cap.
    const ghosts = mine.filter((e) => isGhost(e, now)).map((e) => e.id);
    if (ghosts.length > 0) await this.queue.leave(ghosts);
    if (mine.length - ghosts.length >= MAX_WAITERS_PER_USER) {
      throw new UsageError(
        `you already wait in the queue ${MAX_WAITERS_PER_USER} times, as many as one user may: let some of those commands finish or stop them first`,
      );
    }
    await this.queue.enqueue({ ...entry, enqueuedAt: now, lastHeartbeat: now, ours: true });
    if ((await this.evictLapsed()).includes(entry.id)) {
      throw new UsageError(
        'the queue would grant your request now: take the GPUs (you let a grant lapse lately, so it keeps you no place at its head)',
      );
    }
  }

  /** Of the ids named, those `caller` may remove: its own, and others' that no longer hold a place. */
  private async mayLeave(caller: Caller, named: string[]): Promise<string[]> {
    if (named.length === 0) return [];
    await this.evictLapsed();
    const stored = new Map((await this.queue.waiters()).map((e) => [e.id, e]));
    const own = named.map((id) => tokenPrefix(caller) + id).filter((id) => stored.has(id));
    const others = named.map((id) => stored.get(id)).filter((e) => e !== undefined);
    if (others.length === 0) return own;
    const now = this.o.clock.now();
    const { slots } = await this.o.store.snapshot();
    const liveness = livenessOf(slots, this.o.owners.state, this.o.staleAfterMs);
    const held = new Set(slots.map((s) => activeReservation(s, now, liveness)?.token).filter(Boolean));
    const gone = others.filter((e) => isGhost(e, now) || held.has(e.id)).map((e) => e.id);
    return [...own, ...gone];
  }

  private async ownBackfill(caller: Caller, raw: unknown): Promise<Backfill> {
    const b = (raw ?? {}) as Partial<Backfill>;
    asThemself(caller, b.user);
    const passed = text(b.passed, 'waiter id');
    if (!Array.isArray(b.gpus) || b.gpus.length === 0 || !ids(b.gpus) || !Number.isFinite(b.until)) {
      throw new UsageError('the canhazgpu agent refused a malformed backfill record');
    }
    const [waiters, kept] = await Promise.all([this.queue.waiters(), this.queue.backfills()]);
    const waiter = waiters.find((e) => asSeenBy(caller, e.id) === passed);
    if (!waiter) throw new UsageError('the canhazgpu agent knows no such waiter');
    if (kept.filter((k) => k.user === caller.user).length >= MAX_BACKFILLS_PER_USER) {
      throw new UsageError('the canhazgpu agent keeps no more backfill records of yours');
    }
    const now = this.o.clock.now();
    const until = Math.min(Math.max(b.until as number, now), now + MAX_EXTEND_MS);
    return { passed: waiter.id, user: caller.user, gpus: b.gpus as number[], at: now, until };
  }
}

/** The ordinary caller (its uid prefix) whose queue id this is. */
const callerOf = (entry: QueueEntry) => CALLER_PREFIX.exec(entry.id)![0];

/** An ordinary caller's entry as the CLI sends it, its id under the caller's prefix; times are the agent's. */
function checkEntry(caller: Caller, raw: unknown): Omit<QueueEntry, 'enqueuedAt' | 'lastHeartbeat' | 'ours'> {
  const e = (raw ?? {}) as Partial<QueueEntry>;
  asThemself(caller, e.user);
  asThemself(caller, e.actualUser);
  const id = storedToken(caller, e.id);
  const ok =
    Number.isSafeInteger(e.count) &&
    (e.count as number) >= 1 &&
    (e.count as number) <= MAX_POOL_SIZE &&
    (e.requestedIds === null ||
      (Array.isArray(e.requestedIds) &&
        e.requestedIds.length > 0 &&
        ids(e.requestedIds) &&
        new Set(e.requestedIds).size === e.requestedIds.length)) &&
    (e.type === 'run' || e.type === 'manual') &&
    (e.durationMs === null ||
      (typeof e.durationMs === 'number' && e.durationMs > 0 && e.durationMs <= MAX_EXTEND_MS)) &&
    (e.note === null || (typeof e.note === 'string' && noteAsGiven(e.note))) &&
    (e.waitUntil === null || Number.isFinite(e.waitUntil));
  if (!ok) throw new UsageError('the canhazgpu agent refused a malformed queue entry');
  const { count, requestedIds, type, durationMs, note, waitUntil } = e as QueueEntry;
  return { id, user: caller.user, actualUser: caller.user, count, requestedIds, type, durationMs, note, waitUntil };
}

/** A note `--note` could have made: printable, one line, short. */
function noteAsGiven(note: string): boolean {
  const parsed = parseNote(note);
  return 'note' in parsed && parsed.note === note;
}
