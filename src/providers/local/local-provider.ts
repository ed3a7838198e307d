// This host's GPU pool as a provider: each free GPU is one instance, priced by the admin's
// chargeback rate (0 by default). A reservation here is a real manual reservation in the pool.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { GpuInstance } from '../../domain/instances.js';
import type { Clock } from '../../domain/ports.js';
import type { FreeGpu, PoolReading, PoolService } from '../../pool/pool-service.js';
import { type Provider, SERVER_HOLDER_PREFIX } from '../provider.js';

export interface LocalProviderOptions {
  pool: PoolService;
  clock: Clock;
  pricePerGpuHour: () => number;
  /** The host the pool's GPUs are on (instance ids, location); default this machine's name. */
  host?: string;
}

/** How long one look at the pool (a listing) may serve the creations that follow it. */
const READING_MAX_AGE_MS = 1000;

export class LocalProvider implements Provider {
  readonly name = 'local';
  private readonly host: string;
  private last: PoolReading | null = null;

  constructor(private readonly o: LocalProviderOptions) {
    this.host = o.host ?? hostname();
  }

  private async read(): Promise<PoolReading> {
    this.last = await this.o.pool.read();
    return this.last;
  }

  /** The listing's look at the pool when recent: the store checks again, atomically, at the grant. */
  private async recent(): Promise<PoolReading> {
    const last = this.last;
    if (last && this.o.clock.now() - last.now < READING_MAX_AGE_MS) return last;
    return this.read();
  }

  async available(): Promise<GpuInstance[]> {
    const reading = await this.read();
    // In the pool's own order, which strategies keep among equals: the least recently released first.
    return this.o.pool.free(reading).map((gpu) => this.instance(gpu));
  }

  private instance({ id: gpuId, usage: gpu }: FreeGpu): GpuInstance {
    const id = `${this.host}:gpu${gpuId}`;
    return {
      id,
      provider: this.name,
      status: 'available',
      pricePerHour: this.o.pricePerGpuHour(),
      vramGb: gpu?.memoryTotalMb ? Math.round(gpu.memoryTotalMb / 1024) : 0,
      gpuModel: gpu?.name ?? 'unknown',
      numGpus: 1,
      location: this.host,
      metadata: { gpu_id: String(gpuId), ...(gpu?.uuid ? { uuid: gpu.uuid } : {}) },
    };
  }

  async create(instance: GpuInstance, user: string, durationMs: number): Promise<string> {
    const gpuId = Number(instance.metadata['gpu_id']);
    const contractId = randomUUID();
    const grant = {
      count: 1,
      user,
      type: 'manual' as const,
      durationMs,
      token: contractId,
      owner: null,
      only: [gpuId],
    };
    await this.o.pool.allocate(grant, await this.recent());
    return contractId;
  }

  async destroy(contractId: string): Promise<boolean> {
    return (await this.o.pool.releaseToken(contractId)).length > 0;
  }

  async stillHeld(contractIds: readonly string[]): Promise<Set<string>> {
    const held = new Set((await this.o.pool.active()).map((r) => r.token));
    return new Set(contractIds.filter((id) => held.has(id)));
  }

  /** The pool's live reservations held by the server's users (`api:<email>`), whoever recorded them. */
  async heldForServer(): Promise<string[]> {
    const active = await this.o.pool.active();
    return active.flatMap((r) => (r.user.startsWith(SERVER_HOLDER_PREFIX) && r.token ? [r.token] : []));
  }
}
