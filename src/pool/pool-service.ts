// The pool of this host: the one place that reads the store and the GPUs together, judges who still
// holds what, and allocates. The CLI's commands, the server's local provider, its status, metrics and
// dashboard all go through it, so each of them reads the store and the probe once per request.
import { type AllocationRequest, chooseGpus, leastRecentlyReleasedFirst } from '../domain/allocation.js';
import { isOwnManual } from '../domain/gpu-ids.js';
import { HeldForQueueError, NotEnoughGpusError, QueueChangedError } from '../domain/errors.js';
import { activeReservation, type Liveness, livenessOf } from '../domain/liveness.js';
import {
  type Clock,
  type ExtendedGpu,
  type GpuProbe,
  type OwnerProcesses,
  probeOrNull,
  type Store,
} from '../domain/ports.js';
import type { PoolSnapshot, Reservation } from '../domain/reservation.js';
import { DAY_MS, type EndReason } from '../domain/history.js';
import { buildReport, type Report } from '../domain/report.js';
import { buildStatus, type StatusRow } from '../domain/status.js';
import { unreservedUse } from '../domain/unreserved.js';
import { type GpuUsage, gpusInUse, listedGpus } from '../domain/usage.js';
import { type Admission, admit } from '../domain/queue-policy.js';
import { departedWaiters, queueSituation } from './queue-situation.js';

export interface PoolOptions {
  store: Store;
  probe: GpuProbe;
  clock: Clock;
  owners: OwnerProcesses;
  staleAfterMs: number;
  inUseThresholdMb: number;
  /** Told when the probe cannot read the GPUs (the CLI prints the original manual's warning); work goes on without it. */
  onProbeUnavailable?: (toolName: string) => void;
}

/** One look at the pool: the store's slots, the probe's GPUs (null when unreadable), owners judged once. */
export interface PoolReading {
  now: number;
  snapshot: PoolSnapshot;
  usage: GpuUsage[] | null;
  liveness: Liveness;
}

export type Grant = Pick<
  AllocationRequest,
  'count' | 'type' | 'token' | 'owner' | 'user' | 'only' | 'exact' | 'note'
> & {
  /** Manual reservations: how long they last, from the moment of the grant. */
  durationMs: number | null;
  /** A run's --timeout: a declared end, which lets it start ahead of a waiter by backfill. */
  timeoutMs?: number | null;
};

/** An allocation's outcome in the wait queue's order: granted, or where it stands and why not. */
export type Turn =
  | { ids: number[] }
  | { ids?: undefined; admission: Admission; waiters: number; refusal: NotEnoughGpusError; reading: PoolReading };

/** A request as the queue judged it: the store request to make, or (without one) the refused turn. */
export type Judged =
  | { request: AllocationRequest; turn: Turn & { ids?: undefined }; now: number; endsAt: number | null }
  | { request?: undefined; turn: Turn & { ids?: undefined } };

/** A GPU free to be granted now, with what the probe says of it. */
export interface FreeGpu {
  id: number;
  usage: GpuUsage | undefined;
}

export class PoolService {
  constructor(private readonly o: PoolOptions) {}

  get store(): Store {
    return this.o.store;
  }

  get probeName(): string {
    return this.o.probe.toolName;
  }

  private async usage(): Promise<GpuUsage[] | null> {
    const usage = await probeOrNull(this.o.probe);
    if (usage === null) this.o.onProbeUnavailable?.(this.o.probe.toolName);
    return usage;
  }

  private judge(snapshot: PoolSnapshot): Liveness {
    return livenessOf(snapshot.slots, (owner) => this.o.owners.state(owner), this.o.staleAfterMs);
  }

  /** The store and the probe, read side by side. */
  async read(): Promise<PoolReading> {
    const [snapshot, usage] = await Promise.all([this.o.store.snapshot(), this.usage()]);
    return { now: this.o.clock.now(), snapshot, usage, liveness: this.judge(snapshot) };
  }

  /** One row per GPU: who holds it, or what the hardware shows. */
  async status(reading?: PoolReading): Promise<{ now: number; rows: StatusRow[] }> {
    const r = reading ?? (await this.read());
    const rows = buildStatus({ ...r, inUseThresholdMb: this.o.inUseThresholdMb });
    return { now: r.now, rows };
  }

  /**
   * Grants in one atomic store step (the store checks every GPU again), leaving out GPUs in use or not
   * on this machine. A recent `reading` (the server's listing of the same request) spares a second look.
   */
  async allocate(grant: Grant, reading?: PoolReading): Promise<number[]> {
    const turn = await this.allocateInTurn(grant, reading);
    if (turn.ids) return turn.ids;
    throw turn.refusal;
  }

  private request(grant: Grant, reading: PoolReading, now: number): AllocationRequest {
    const { durationMs, timeoutMs: _, ...rest } = grant;
    const { usage, liveness, snapshot } = reading;
    return {
      ...rest,
      policy: snapshot.policy ?? 'lru',
      now,
      expiryTime: durationMs === null ? null : now + durationMs,
      inUse: usage ? gpusInUse(usage, this.o.inUseThresholdMb) : [],
      listed: listedGpus(usage),
      liveness,
    };
  }

  /**
   * Grants only what the wait queue allows (domain/queue-policy.ts): earlier waiters first, later
   * requests by backfill. The store grants only while the queue is still as judged here, else we look
   * again. A grant whose token is a waiter's id is that waiter's turn. A store that judges the queue
   * itself (the agent of a private store, on its own reading) may still refuse: we look once more, and
   * a second refusal is the answer.
   */
  async allocateInTurn(grant: Grant, reading?: PoolReading): Promise<Turn> {
    const queue = this.o.store.queue;
    let refused = false;
    for (let look = reading; ; look = undefined) {
      const judged = await this.judgeTurn(grant, look);
      if (!judged.request) return judged.turn;
      let ids: number[];
      try {
        ids = await this.o.store.allocate(judged.request);
      } catch (err) {
        if (err instanceof QueueChangedError) continue;
        if (!(err instanceof NotEnoughGpusError)) throw err;
        if (refused) return { ...judged.turn, admission: { ...judged.turn.admission, grant: null }, refusal: err };
        refused = true;
        continue;
      }
      const { now, endsAt } = judged;
      for (const waiter of judged.turn.admission.passed) {
        // Only `queue` reads these: a failure to note one must not undo a grant.
        await queue
          ?.recordBackfill({ passed: waiter.id, user: grant.user, gpus: ids, at: now, until: endsAt ?? now })
          .catch(() => {});
      }
      return { ids: [...ids].sort((a, b) => a - b) };
    }
  }

  /**
   * What the wait queue allows `grant` now: the store request to make (narrowed to what earlier waiters
   * leave, with the queue as judged), or the refused turn. Departed waiters leave the queue first.
   */
  async judgeTurn(grant: Grant, reading?: PoolReading): Promise<Judged> {
    const queue = this.o.store.queue;
    for (let look = reading; ; look = undefined) {
      const r = look ?? (await this.read());
      const entries = queue ? await queue.waiters() : [];
      const departed = departedWaiters(r, entries);
      if (queue && departed.length > 0) {
        await queue.leave(departed);
        continue;
      }
      const situation = queueSituation(r, this.free(r), entries);
      const declared = grant.durationMs ?? grant.timeoutMs ?? null;
      const endsAt = declared === null ? null : r.now + declared;
      // `reserve -G` on GPUs the user holds manually extends them: those are theirs, not the queue's to give.
      const extending = this.ownManual(grant, r);
      const wanted = extending.length > 0 ? grant.only!.filter((id) => !extending.includes(id)) : (grant.only ?? null);
      const admission = admit(situation, {
        id: grant.token,
        count: wanted && extending.length > 0 ? wanted.length : grant.count,
        requestedIds: wanted,
        endsAt,
      });
      const refusal = admission.grant ? null : this.refusal(grant, r, admission);
      const turn = { admission, waiters: entries.length, refusal: refusal as NotEnoughGpusError, reading: r };
      if (refusal) return { turn };
      // Narrowed to what earlier waiters leave, when they take or keep any free GPU.
      const only =
        admission.allowed.length < situation.free.length
          ? [...admission.allowed.filter((id) => !grant.only || grant.only.includes(id)), ...extending]
          : grant.only;
      const now = this.o.clock.now();
      const request = {
        ...this.request({ ...grant, only }, r, now),
        ...(queue ? { queueSeen: entries.map((e) => e.id) } : {}),
      };
      return { request, turn, now, endsAt };
    }
  }

  /** Of an exact manual request's GPUs, those the user already holds manually (the grant extends them). */
  private ownManual(grant: Grant, r: PoolReading): number[] {
    if (!grant.exact || grant.type !== 'manual' || !grant.only) return [];
    return grant.only.filter((id) => {
      const held = r.snapshot.slots[id] ? activeReservation(r.snapshot.slots[id]!, r.now, r.liveness) : null;
      return held !== null && isOwnManual(held, grant);
    });
  }

  /** Why a request cannot start: the original manual's error when too few GPUs are free, else the queue's. */
  private refusal(grant: Grant, reading: PoolReading, admission: Admission): NotEnoughGpusError {
    const free = this.free(reading).length;
    try {
      chooseGpus(reading.snapshot.slots, this.request(grant, reading, reading.now));
    } catch (err) {
      if (err instanceof NotEnoughGpusError) return err;
      throw err;
    }
    return new HeldForQueueError(
      grant.count,
      admission.allowed.length,
      free - admission.allowed.length,
      admission.position - 1,
    );
  }

  /** The GPUs a grant could take now, least recently released first (the order allocation prefers). */
  free(reading: PoolReading): FreeGpu[] {
    const { now, snapshot, usage, liveness } = reading;
    const busy = new Set(usage ? gpusInUse(usage, this.o.inUseThresholdMb) : []);
    const byIndex = new Map((usage ?? []).map((g) => [g.index, g]));
    const present = (id: number) => usage === null || byIndex.has(id);
    const free = snapshot.slots.filter(
      (s) => !s.problem && present(s.id) && !busy.has(s.id) && activeReservation(s, now, liveness) === null,
    );
    return leastRecentlyReleasedFirst(free, now, liveness).map((s) => ({ id: s.id, usage: byIndex.get(s.id) }));
  }

  /** The reservations that still hold a GPU (one entry per reservation, however many GPUs it holds). */
  async active(): Promise<Reservation[]> {
    const snapshot = await this.o.store.snapshot();
    const now = this.o.clock.now();
    const liveness = this.judge(snapshot);
    const byToken = new Map<string, Reservation>();
    for (const slot of snapshot.slots) {
      const r = activeReservation(slot, now, liveness);
      if (r?.token) byToken.set(r.token, r);
    }
    return [...byToken.values()];
  }

  /** Ends `user`'s manual reservations that still hold a GPU (on `only`'s GPUs, when given); returns the ids, in order. */
  async releaseManual(user: string, only?: readonly number[] | null): Promise<number[]> {
    const liveness = this.judge(await this.o.store.snapshot());
    const ids = await this.o.store.releaseManual(user, this.o.clock.now(), liveness, only);
    return [...ids].sort((a, b) => a - b);
  }

  /** Moves the end of each of `user`'s manual reservations `byMs` later; returns them in id order. */
  async extendManual(user: string, byMs: number): Promise<ExtendedGpu[]> {
    const liveness = this.judge(await this.o.store.snapshot());
    const extended = await this.o.store.extendManual(user, this.o.clock.now(), liveness, byMs);
    return [...extended].sort((a, b) => a.id - b.id);
  }

  /** GPU-hours per user over the last `days` days: the history, and what the pool's slots hold now. */
  async report(days: number): Promise<Report> {
    const snapshot = await this.o.store.snapshot();
    const now = this.o.clock.now();
    const [records, unreserved] = await Promise.all([
      this.o.store.history(now - days * DAY_MS, now),
      this.o.store.unreserved(now - days * DAY_MS, now),
    ]);
    return buildReport({ records, slots: snapshot.slots, now, liveness: this.judge(snapshot), days, unreserved });
  }

  /**
   * Notes what a reading taken at `now`, standing for `gapMs` since the previous one, shows of GPUs used
   * without a reservation: each user seen on one adds that time (status's judgement, threshold included).
   */
  async noteUnreserved(usage: GpuUsage[], now: number, gapMs: number): Promise<void> {
    if (!(gapMs > 0)) return;
    const snapshot = await this.o.store.snapshot();
    const { rows } = await this.status({ now, snapshot, usage, liveness: this.judge(snapshot) });
    await this.o.store.addUnreserved(unreservedUse(rows, now, gapMs), now);
  }

  releaseToken(token: string, reason?: EndReason): Promise<number[]> {
    return this.o.store.releaseToken(token, this.o.clock.now(), reason);
  }
}
