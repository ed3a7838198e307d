// A marketplace stand-in for tests and demos: fixed offers, scripted failures and latency, so the
// server's partial success, costs and strategies can be exercised without a network.
import type { GpuInstance } from '../../domain/instances.js';
import type { Provider } from '../provider.js';

export interface ScriptedOffer extends Omit<GpuInstance, 'provider' | 'status' | 'metadata'> {
  /** Every create of this offer fails with this message. */
  failWith?: string;
}

export class ScriptedProvider implements Provider {
  protected readonly held = new Map<string, string>(); // contract id → offer id
  private next = 1;

  constructor(
    readonly name: string,
    private readonly offers: ScriptedOffer[],
    private readonly latencyMs = 0,
  ) {}

  async available(): Promise<GpuInstance[]> {
    const taken = new Set(this.held.values());
    return this.offers
      .filter((o) => !taken.has(o.id))
      .map(({ failWith: _, ...o }) => ({ ...o, provider: this.name, status: 'available', metadata: {} }));
  }

  async create(instance: GpuInstance): Promise<string> {
    if (this.latencyMs) await new Promise((r) => setTimeout(r, this.latencyMs));
    const offer = this.offers.find((o) => o.id === instance.id);
    if (!offer) throw new Error(`offer ${instance.id} is gone`);
    if (offer.failWith) throw new Error(offer.failWith);
    if ([...this.held.values()].includes(offer.id)) throw new Error(`offer ${instance.id} was just taken`);
    const contractId = `${this.name}-${this.next++}`;
    this.held.set(contractId, offer.id);
    return contractId;
  }

  async destroy(contractId: string): Promise<boolean> {
    return this.held.delete(contractId);
  }

  async stillHeld(contractIds: readonly string[]): Promise<Set<string>> {
    return new Set(contractIds.filter((id) => this.held.has(id)));
  }
}
