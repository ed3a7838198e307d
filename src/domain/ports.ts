// The ports the domain needs; storage backends and GPU probes implement them at the edge.
import type { AllocationRequest } from './allocation.js';
import type { EndReason, HistoryRecord } from './history.js';
import type { Liveness, OwnerState } from './liveness.js';
import type { PoolOwner } from './pool-owner.js';
import type { Backfill, QueueEntry } from './queue.js';
import type { AllocationPolicy, OwnerRef, PoolSnapshot } from './reservation.js';
import type { UnreservedUse } from './unreserved.js';
import type { GpuUsage } from './usage.js';
import type { GpuVendor } from './visible-devices.js';

/** A GPU whose manual reservation `reserve --extend` moved, with its new end (Unix ms). */
export interface ExtendedGpu {
  id: number;
  expiryTime: number;
}

export interface InitializeResult {
  /** The pool size before, or null when the pool was new. */
  previousCount: number | null;
}

/**
 * Where reservations live. Every method is atomic on its own; `allocate` checks and grants all GPUs
 * in one step or grants nothing. Implementations wait for contended locks instead of failing.
 */
export interface Store {
  /** Names the backend and location, for error messages. */
  readonly location: string;
  /** Sets the pool up; `owner` is recorded where the backend keeps it (a file has its own owner). */
  initialize(gpuCount: number, force: boolean, now: number, owner?: PoolOwner): Promise<InitializeResult>;
  /** Who set the pool up, or null when nobody said (a pool of the other tools, or none yet). */
  poolOwner(): Promise<PoolOwner | null>;
  /** Throws PoolNotInitializedError when the pool was never set up. */
  snapshot(): Promise<PoolSnapshot>;
  /** The ids granted, in the order chosen; throws NotEnoughGpusError. */
  allocate(request: AllocationRequest): Promise<number[]>;
  /** Refreshes the heartbeat of the GPUs still held under `token`; returns their ids. */
  heartbeat(token: string, now: number): Promise<number[]>;
  /**
   * Hands the GPUs held under `token` to another supervising process (run's command, once it has
   * started), so they stay held while that process lives even if `run` itself is killed; returns their ids.
   */
  setOwner(token: string, owner: OwnerRef): Promise<number[]>;
  /**
   * Ends the reservation held under `token`; returns the ids released. Every ending (this one, a manual
   * release, a lapsed reservation overwritten by a grant, `initialize` forced) writes its history
   * records in the same atomic step, and drops records older than the store's retention.
   */
  releaseToken(token: string, now: number, reason?: EndReason): Promise<number[]>;
  /** Ends the user's active manual reservations (only those on `only`'s GPUs when given); returns the ids released. */
  releaseManual(user: string, now: number, liveness: Liveness, only?: readonly number[] | null): Promise<number[]>;
  /** Moves the end of each of the user's active manual reservations `byMs` later; returns what they hold now. */
  extendManual(user: string, now: number, liveness: Liveness, byMs: number): Promise<ExtendedGpu[]>;
  /** Keeps the pool's allocation policy (`admin --policy`); snapshots return it. */
  setPolicy(policy: AllocationPolicy): Promise<void>;
  /** The wait queue kept beside the pool (every store has one; test doubles may leave it out). */
  readonly queue?: QueueStore;
  /** The records of reservations that ended at `from` or later and began at `to` or earlier, oldest end first. */
  history(from: number, to: number): Promise<HistoryRecord[]>;
  /** Adds GPU use seen without a reservation (per user and hour); drops hours older than the history's retention. */
  addUnreserved(uses: readonly UnreservedUse[], now: number): Promise<void>;
  /** The use seen without a reservation in the hours that overlap [from, to]. */
  unreserved(from: number, to: number): Promise<UnreservedUse[]>;
  close(): Promise<void>;
}

/**
 * Where waiters queue for GPUs, in enqueue order (src/domain/queue.ts). Each method is atomic on its own;
 * an allocation given `queueSeen` grants only while the queue still holds exactly those waiters.
 */
export interface QueueStore {
  enqueue(entry: QueueEntry): Promise<void>;
  /** Every waiter in queue order, ghosts included (callers judge them); entries that cannot be read are left out. */
  waiters(): Promise<QueueEntry[]>;
  /** Refreshes a waiter's heartbeat; false when it is no longer queued (removed as a ghost). */
  beat(id: string, now: number): Promise<boolean>;
  /** Removes waiters (one leaving, or ghosts) and wakes the others. */
  leave(ids: readonly string[]): Promise<void>;
  /** Says that a request went ahead of a waiter by backfill (kept while that waiter waits). */
  recordBackfill(backfill: Backfill): Promise<void>;
  backfills(): Promise<Backfill[]>;
  /**
   * Resolves when GPUs or the queue may have changed (a release, a waiter leaving), or after `ms` at the latest:
   * true when it heard of a change (or the store failed: the caller looks again), false when the time ran out.
   */
  changed(ms: number): Promise<boolean>;
}

/** Why a probe returned nothing; the CLI warns and carries on with reservations alone. */
export class ProbeUnavailableError extends Error {}

export interface GpuProbe {
  /** The tool behind the probe, for the warning (`nvidia-smi`). */
  readonly toolName: string;
  /** Whose GPUs: how `run` shows a command its GPUs (absent: NVIDIA's CUDA_VISIBLE_DEVICES). */
  readonly vendor?: GpuVendor;
  /** Throws ProbeUnavailableError when the hardware cannot be read. */
  probe(): Promise<GpuUsage[]>;
  /** Lets go of what the probe keeps between readings (NVML stays initialised until then). */
  close?(): void;
}

/** The probe's reading, or null when the hardware cannot be read (callers carry on without it). */
export async function probeOrNull(probe: GpuProbe): Promise<GpuUsage[] | null> {
  try {
    return await probe.probe();
  } catch (err) {
    if (err instanceof ProbeUnavailableError) return null;
    throw err;
  }
}

/** A host's GPUs as one probe saw them, kept in the store so every command on the host can share it. */
export interface GpuReading {
  host: string;
  takenAt: number;
  /** null: the probe could not read the GPUs (every command then warns, as it would itself). */
  usage: GpuUsage[] | null;
}

/** Where the latest reading of each host is kept, with a short lock so one process probes at a time. */
export interface ReadingStore {
  latestReading(host: string): Promise<GpuReading | null>;
  saveReading(reading: GpuReading): Promise<void>;
  /**
   * Takes `host`'s prober lock for `prober` until `now + holdMs` unless another holds it: true for the one
   * prober. `replacing`: a holder the caller found dead, whose lock it may take before it times out.
   */
  claimProbe(host: string, now: number, holdMs: number, prober?: OwnerRef, replacing?: OwnerRef): Promise<boolean>;
  /** The process that holds `host`'s prober lock; null when none does, or it did not say. */
  proberOf(host: string, now: number): Promise<OwnerRef | null>;
}

/** What this host can tell of a reservation's owner process (the pid with its start time). */
export interface OwnerProcesses {
  state(owner: OwnerRef): OwnerState;
}

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** One host of a fleet sharing a store, as it last registered itself. */
export interface HostRecord {
  host: string;
  /** GPUs its last reading saw (null: none yet, or the probe could not read). */
  gpus: number | null;
  models: string[];
  version: string | null;
  /** When it last ran a command or saved a reading (ms). */
  lastSeen: number;
}

/** A store several hosts share (Redis): each host keeps a pool of its own in it. */
export interface Fleet {
  /** This host's name in the fleet. */
  readonly host: string;
  /** Every registered host, this one included, by name. */
  hosts(): Promise<HostRecord[]>;
  /** `host`'s pool and readings in the same store (this host's own for its name); the caller need not close it. */
  poolOf(host: string): Store & ReadingStore;
}

export const isFleet = (store: Store): store is Store & Fleet => 'poolOf' in store;
