// The scripted market as a marketplace: instances carry their reservation's label and are listed by
// it, and destroys can be made to fail, so the server's cloud records can be exercised without a network.
import { randomUUID } from 'node:crypto';
import type { GpuInstance } from '../../domain/instances.js';
import type { LabelledInstance } from '../provider.js';
import { ScriptedProvider } from './scripted-provider.js';

export class ScriptedMarketplace extends ScriptedProvider {
  private readonly labels = new Map<string, string>(); // contract id → reservation id
  /** While set, every destroy fails with it (a marketplace that is down). */
  destroyFails: string | null = null;

  override async create(
    instance: GpuInstance,
    _user?: string,
    _durationMs?: number,
    reservationId?: string,
  ): Promise<string> {
    const contractId = await super.create(instance);
    this.labels.set(contractId, reservationId ?? randomUUID());
    return contractId;
  }

  override async destroy(contractId: string): Promise<boolean> {
    if (this.destroyFails) throw new Error(this.destroyFails);
    this.labels.delete(contractId);
    return super.destroy(contractId);
  }

  async labelled(): Promise<LabelledInstance[]> {
    return [...this.labels].map(([contractId, reservationId]) => ({ contractId, reservationId }));
  }

  /** Contract ids it holds now. */
  contracts(): string[] {
    return [...this.held.keys()];
  }
}
