// What the agent lets each caller do to the private store. The caller's uid comes from the kernel
// (SO_PEERCRED), not from anything it sends: a user reserves, beats and releases only as themself, with
// tokens kept apart per uid (a token guessed or copied from `status` names nothing of theirs), at the
// agent's time, with owners judged by the agent. Root, the agent's own user and the users it was told to
// trust (the server's service user, which reserves for `api:` holders) act as a direct store would.
import { type AllocationRequest, MAX_POOL_SIZE } from '../../domain/allocation.js';
import { UsageError } from '../../domain/errors.js';
import { type EndReason, isEndReason } from '../../domain/history.js';
import { livenessOf } from '../../domain/liveness.js';
import type { Clock, GpuReading, OwnerProcesses, ReadingStore, Store } from '../../domain/ports.js';
import { parseNote } from '../../domain/note.js';
import { toUnreservedUse } from '../../domain/unreserved.js';
import { isAllocationPolicy, type OwnerRef, type PoolSnapshot } from '../../domain/reservation.js';
import { asSeenBy, asThemself, type Caller, ids, MAX_EXTEND_MS, storedToken, text, tokenPrefix } from './gate-rules.js';
import type { ChangeFeed } from './change-feed.js';
import { type AgentQueueJudge, QueueGate } from './queue-gate.js';

export type { Caller } from './gate-rules.js';

export interface GateOptions {
  store: Store & ReadingStore;
  clock: Clock;
  owners: OwnerProcesses;
  staleAfterMs: number;
  /** This host as owners name it (hostIdentity). */
  host: string;
  /** The uid a process of this host runs as, or null when it is gone. */
  processUid(pid: number): number | null;
  /** Judges the wait queue for callers it does not trust, as the CLI would. */
  judge: AgentQueueJudge;
  /** The fleet host whose pool the store is (a Redis store's `CANHAZGPU_HOST`); a command of another host's goes its own way. */
  poolHost?: string;
}

/** What changes who holds a GPU or who waits: each wakes the callers waiting in the queue. */
const CHANGES = new Set([
  'initialize',
  'allocate',
  'releaseToken',
  'releaseManual',
  'extendManual',
  'queue.enqueue',
  'queue.leave',
]);

/**
 * A waiter's look starts with the pool (then the queue): a change after it began, the waiter's next `changed`
 * hears at once, even one made before it read the queue.
 */
const LOOKS = new Set(['snapshot']);

export class StoreGate {
  private readonly queue: QueueGate;
  /**
   * Awaited after a call that changed the pool, before its answer: the status board is written again, so a
   * caller's next `status` shows its change. A failure there is the board's, not the call's.
   */
  afterChange: (() => Promise<void>) | null = null;

  constructor(private readonly o: GateOptions) {
    this.queue = new QueueGate(o);
  }

  /** Tells of every change the gate makes, and of the store's own changes while someone listens (the status board). */
  get changes(): ChangeFeed {
    return this.queue.feed;
  }

  /** Runs one call for `caller`; unknown methods and refused ones throw a one-line error. */
  async call(caller: Caller, method: string, args: unknown[]): Promise<unknown> {
    const handler = Object.hasOwn(this.handlers, method)
      ? this.handlers[method]
      : Object.hasOwn(this.queue.handlers, method)
        ? this.queue.handlers[method]
        : undefined;
    if (!handler) throw new UsageError(`the canhazgpu agent does not serve '${method.slice(0, 40)}'`);
    if (LOOKS.has(method)) this.queue.looking(caller);
    const result = await handler(caller, args);
    if (CHANGES.has(method)) {
      this.queue.feed.changed();
      await this.afterChange?.().catch(() => {});
    }
    return result;
  }

  private readonly handlers: Record<string, (caller: Caller, args: unknown[]) => Promise<unknown>> = {
    // Which store and pool this agent keeps: a command configured for another talks to its own store itself.
    identity: async () => ({ location: this.o.store.location, host: this.o.poolHost ?? null }),
    poolOwner: () => this.o.store.poolOwner(),
    snapshot: async (caller) => this.ownTokens(caller, await this.o.store.snapshot()),
    latestReading: (_caller, [host]) => this.o.store.latestReading(text(host, 'host')),
    initialize: (caller, [gpuCount, force, now, owner]) => {
      this.trustedOnly(caller, 'set up the pool');
      return this.o.store.initialize(gpuCount as number, force === true, now as number, owner as never);
    },
    saveReading: (caller, [reading]) => {
      // Only the agent (and those it trusts) keeps the reading: a user could otherwise show GPUs busy.
      this.trustedOnly(caller, 'save a GPU reading');
      return this.o.store.saveReading(reading as GpuReading);
    },
    claimProbe: async (caller, [host, now, holdMs, prober, replacing]) =>
      // Others wait for the agent's next reading, which it takes every second.
      caller.trusted
        ? this.o.store.claimProbe(
            text(host, 'host'),
            now as number,
            holdMs as number,
            (prober ?? undefined) as OwnerRef | undefined,
            (replacing ?? undefined) as OwnerRef | undefined,
          )
        : false,
    proberOf: async (_caller, [host, now]) => {
      if (!Number.isFinite(now)) throw new UsageError('the canhazgpu agent needs the time the prober is asked at');
      return this.o.store.proberOf(text(host, 'host'), now as number);
    },
    allocate: async (caller, [raw]) => {
      const req = raw as AllocationRequest;
      if (caller.trusted) return this.o.store.allocate(req);
      checkRequest(req);
      asThemself(caller, req.user);
      if (req.owner) this.theirProcess(caller, req.owner);
      // The queue's order as the agent judges it, on its own reading, owners and policy, at its time.
      const token = this.token(caller, req.token);
      const admitted = await this.queue.admit({ ...req, now: this.o.clock.now(), token, queueSeen: undefined });
      const ids = await this.o.store.allocate(admitted);
      if (admitted.queueSeen?.includes(token)) this.queue.granted(caller); // a waiter's turn, taken
      return ids;
    },
    heartbeat: (caller, [token, now]) =>
      this.o.store.heartbeat(this.token(caller, token), caller.trusted ? (now as number) : this.o.clock.now()),
    setOwner: (caller, [token, owner]) => {
      if (!caller.trusted) this.theirProcess(caller, owner as OwnerRef);
      return this.o.store.setOwner(this.token(caller, token), owner as OwnerRef);
    },
    releaseToken: (caller, [token, now, reason]) =>
      this.o.store.releaseToken(
        this.token(caller, token),
        caller.trusted ? (now as number) : this.o.clock.now(),
        endReason(caller, reason),
      ),
    history: async (caller, [from, to]) => {
      if (!Number.isFinite(from) || !Number.isFinite(to))
        throw new UsageError('the canhazgpu agent needs a history window of two times');
      const records = await this.o.store.history(from as number, to as number);
      if (caller.trusted) return records;
      const prefix = tokenPrefix(caller);
      return records.map((r) =>
        r.reservationId?.startsWith(prefix) ? { ...r, reservationId: r.reservationId.slice(prefix.length) } : r,
      );
    },
    addUnreserved: async (caller, [uses, now]) => {
      // Only the agent, which keeps the reading, says who used GPUs: a user could otherwise blame another.
      this.trustedOnly(caller, 'record unreserved GPU use');
      if (!Array.isArray(uses)) throw new UsageError('the canhazgpu agent needs unreserved use as a list');
      const valid = uses.map((u) => toUnreservedUse(u?.user, u?.hourStart, u?.seconds)).filter((u) => u !== null);
      return this.o.store.addUnreserved(valid, now as number);
    },
    unreserved: (_caller, [from, to]) => {
      if (!Number.isFinite(from) || !Number.isFinite(to))
        throw new UsageError('the canhazgpu agent needs a window of two times');
      return this.o.store.unreserved(from as number, to as number);
    },
    releaseManual: async (caller, [user, now, liveness, only]) => {
      if (!ids(only)) throw new UsageError('the canhazgpu agent needs GPU ids as a list of numbers');
      const chosen = only as number[] | null;
      if (caller.trusted)
        return this.o.store.releaseManual(text(user, 'user'), now as number, liveness as never, chosen);
      asThemself(caller, user);
      return this.o.store.releaseManual(caller.user, this.o.clock.now(), await this.judged(), chosen);
    },
    extendManual: async (caller, [user, now, liveness, byMs]) => {
      if (typeof byMs !== 'number' || !(byMs > 0 && byMs <= MAX_EXTEND_MS))
        throw new UsageError('the canhazgpu agent needs a time to add of up to ten years');
      if (caller.trusted) return this.o.store.extendManual(text(user, 'user'), now as number, liveness as never, byMs);
      asThemself(caller, user);
      return this.o.store.extendManual(caller.user, this.o.clock.now(), await this.judged(), byMs);
    },
    setPolicy: (caller, [policy]) => {
      this.trustedOnly(caller, 'change the allocation policy');
      if (!isAllocationPolicy(policy)) throw new UsageError('the canhazgpu agent knows no such allocation policy');
      return this.o.store.setPolicy(policy);
    },
  };

  /** The store's run owners as the agent judges them. */
  private async judged() {
    return livenessOf((await this.o.store.snapshot()).slots, this.o.owners.state, this.o.staleAfterMs);
  }

  private trustedOnly(caller: Caller, what: string): void {
    if (!caller.trusted) throw new UsageError(`only root may ${what} in a store the canhazgpu agent keeps`);
  }

  /**
   * A run's owner must be a process of this host that runs as the caller, its start time a clock-tick count as
   * /proc gives it: every caller's snapshot carries the owner, so a long one would make every answer huge.
   */
  private theirProcess(caller: Caller, owner: OwnerRef): void {
    const pid = owner?.pid;
    const started = owner?.startTime;
    if (
      owner?.host !== this.o.host ||
      !Number.isSafeInteger(pid) ||
      !(started === null || (typeof started === 'string' && /^\d{1,20}$/.test(started))) ||
      this.o.processUid(pid) !== caller.uid
    ) {
      throw new UsageError(`the owner of a reservation must be one of your processes on this host (pid ${pid})`);
    }
  }

  private token(caller: Caller, token: unknown): string {
    return storedToken(caller, token);
  }

  /** The caller sees its own tokens as it sent them; others' keep their prefix, which it cannot send. */
  private ownTokens(caller: Caller, snapshot: PoolSnapshot): PoolSnapshot {
    for (const slot of snapshot.slots) {
      const r = slot.reservation;
      if (r?.token) r.token = asSeenBy(caller, r.token);
    }
    return snapshot;
  }
}

/**
 * Why a release ends a reservation: a user ends their own as given back or timed out (`run --timeout`);
 * the other reasons (expired, crashed, forced…) are the store's and the agent's to judge.
 */
function endReason(caller: Caller, reason: unknown): EndReason {
  if (reason === undefined || reason === null) return 'released';
  if (isEndReason(reason) && (caller.trusted || reason === 'released' || reason === 'timed_out')) return reason;
  throw new UsageError(`the canhazgpu agent refused the end reason '${String(reason).slice(0, 40)}'`);
}

/** An untrusted caller's request holds what the CLI sends, nothing the store could choke on. */
function checkRequest(req: AllocationRequest): void {
  const ok =
    !!req &&
    Number.isSafeInteger(req.count) &&
    req.count >= 1 &&
    req.count <= MAX_POOL_SIZE &&
    (req.type === 'run' || req.type === 'manual') &&
    (req.expiryTime === null || Number.isFinite(req.expiryTime)) &&
    ids(req.inUse) &&
    ids(req.only) &&
    ids(req.listed) &&
    (req.exact === undefined || typeof req.exact === 'boolean') &&
    (req.note === undefined || req.note === null || (typeof req.note === 'string' && 'note' in parseNote(req.note)));
  if (!ok) throw new UsageError('the canhazgpu agent refused a malformed reservation request');
}
