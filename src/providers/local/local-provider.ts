// This host's GPU pool as a provider: each free GPU is one instance, priced by the admin's
// chargeback rate (0 by default). A reservation here is a real manual reservation in the pool.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { leastRecentlyReleasedFirst } from '../../domain/allocation.js';
import type { GpuInstance } from '../../domain/instances.js';
import { activeReservation, livenessOf, type Liveness, type OwnerState } from '../../domain/liveness.js';
import { probeOrNull, type Clock, type GpuProbe, type Store } from '../../domain/ports.js';
import type { GpuSlot, OwnerRef } from '../../domain/reservation.js';
import { gpusInUse, listedGpus, type GpuUsage } from '../../domain/usage.js';
import { SERVER_HOLDER_PREFIX, type Provider } from '../provider.js';

export interface LocalProviderOptions {
  store: Store;
  probe: GpuProbe;
  clock: Clock;
  ownerState: (owner: OwnerRef) => OwnerState;
  staleAfterMs: number;
  inUseThresholdMb: number;
  pricePerGpuHour: () => number;
}

/** How long the owners judged dead by one look at the pool may be reused by the next create. */
const LIVENESS_MAX_AGE_MS = 1000;

export class LocalProvider implements Provider {
  readonly name = 'local';
  private readonly host = hostname();
  private lastLiveness: { at: number; liveness: Liveness } | null = null;

  constructor(private readonly o: LocalProviderOptions) {}

  private usage(): Promise<GpuUsage[] | null> {
    return probeOrNull(this.o.probe);
  }

  private liveness(slots: GpuSlot[]): Liveness {
    const liveness = livenessOf(slots, this.o.ownerState, this.o.staleAfterMs);
    this.lastLiveness = { at: this.o.clock.now(), liveness };
    return liveness;
  }

  /** Dead owners as last judged, when recent; else a fresh look at the pool. */
  private async recentLiveness(): Promise<Liveness> {
    const last = this.lastLiveness;
    if (last && this.o.clock.now() - last.at < LIVENESS_MAX_AGE_MS) return last.liveness;
    return this.liveness((await this.o.store.snapshot()).slots);
  }

  async available(): Promise<GpuInstance[]> {
    const [snapshot, usage] = await Promise.all([this.o.store.snapshot(), this.usage()]);
    const now = this.o.clock.now();
    const live = this.liveness(snapshot.slots);
    const busy = new Set(usage ? gpusInUse(usage, this.o.inUseThresholdMb) : []);
    const byIndex = new Map((usage ?? []).map((g) => [g.index, g]));
    // A GPU nvidia-smi does not list is not on this machine (a pool set up too large): never offered either.
    if (usage) for (const s of snapshot.slots) if (!byIndex.has(s.id)) busy.add(s.id);
    // In the pool's own order, which strategies keep among equals: the least recently released first.
    const free = snapshot.slots.filter((s) => !s.problem && !busy.has(s.id) && activeReservation(s, now, live) === null);
    return leastRecentlyReleasedFirst(free, now, live).map((s) => this.instance(s.id, byIndex.get(s.id)));
  }

  private instance(gpuId: number, gpu: GpuUsage | undefined): GpuInstance {
    const id = `${this.host}:gpu${gpuId}`;
    return {
      id, provider: this.name, status: 'available', pricePerHour: this.o.pricePerGpuHour(),
      vramGb: gpu?.memoryTotalMb ? Math.round(gpu.memoryTotalMb / 1024) : 0, gpuModel: gpu?.name ?? 'unknown',
      numGpus: 1, location: this.host, metadata: { gpu_id: String(gpuId), ...(gpu?.uuid ? { uuid: gpu.uuid } : {}) },
    };
  }

  async create(instance: GpuInstance, user: string, durationMs: number): Promise<string> {
    const gpuId = Number(instance.metadata['gpu_id']);
    const [liveness, usage] = await Promise.all([this.recentLiveness(), this.usage()]);
    const now = this.o.clock.now();
    const contractId = randomUUID();
    // The store checks again, atomically, that the GPU is still free.
    await this.o.store.allocate({
      count: 1, user, type: 'manual', now, expiryTime: now + durationMs, token: contractId, owner: null, only: [gpuId],
      inUse: usage ? gpusInUse(usage, this.o.inUseThresholdMb) : [], liveness, listed: listedGpus(usage),
    });
    return contractId;
  }

  async destroy(contractId: string): Promise<boolean> {
    return (await this.o.store.releaseToken(contractId, this.o.clock.now())).length > 0;
  }

  async stillHeld(contractIds: readonly string[]): Promise<Set<string>> {
    const snapshot = await this.o.store.snapshot();
    const now = this.o.clock.now();
    const live = this.liveness(snapshot.slots);
    const held = new Set(snapshot.slots.map((s) => activeReservation(s, now, live)?.token).filter((t): t is string => !!t));
    return new Set(contractIds.filter((id) => held.has(id)));
  }

  /** The pool's live reservations held by the server's users (`api:<email>`), whoever recorded them. */
  async heldForServer(): Promise<string[]> {
    const snapshot = await this.o.store.snapshot();
    const now = this.o.clock.now();
    const live = this.liveness(snapshot.slots);
    const tokens = snapshot.slots.map((s) => activeReservation(s, now, live))
      .flatMap((r) => (r?.user.startsWith(SERVER_HOLDER_PREFIX) && r.token ? [r.token] : []));
    return [...new Set(tokens)];
  }
}
