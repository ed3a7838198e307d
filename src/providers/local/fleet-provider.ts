// Every host's pool of a fleet sharing one Redis as the server's local provider: each free GPU of a
// host whose GPUs are being read is one instance, its location the host, so the strategies spread
// reservations over hosts. A reservation is a manual reservation in that host's pool.
import type { GpuInstance } from '../../domain/instances.js';
import type { FleetService } from '../../pool/fleet-service.js';
import type { Provider } from '../provider.js';
import type { LocalProvider } from './local-provider.js';

export interface FleetProviderOptions {
  fleet: FleetService;
  /** One host's pool as a provider. */
  local(host: string): LocalProvider;
}

export class FleetProvider implements Provider {
  readonly name = 'local';
  private readonly locals = new Map<string, LocalProvider>();

  constructor(private readonly o: FleetProviderOptions) {}

  private localOf(host: string): LocalProvider {
    let local = this.locals.get(host);
    if (!local) {
      local = this.o.local(host);
      this.locals.set(host, local);
    }
    return local;
  }

  /** Each host answers for itself; the union of their answers. */
  private async each<T>(hosts: Promise<string[]>, fn: (local: LocalProvider) => Promise<T>): Promise<T[]> {
    return Promise.all((await hosts).map((h) => fn(this.localOf(h))));
  }

  async available(): Promise<GpuInstance[]> {
    return (await this.each(this.o.fleet.liveHosts(), (l) => l.available())).flat();
  }

  create(instance: GpuInstance, user: string, durationMs: number): Promise<string> {
    return this.localOf(instance.location).create(instance, user, durationMs);
  }

  async destroy(contractId: string): Promise<boolean> {
    // A contract id is one reservation's token: at most one host's pool holds it.
    return (await this.each(this.o.fleet.hostNames(), (l) => l.destroy(contractId))).some(Boolean);
  }

  async stillHeld(contractIds: readonly string[]): Promise<Set<string>> {
    const held = await this.each(this.o.fleet.hostNames(), (l) => l.stillHeld(contractIds));
    return new Set(held.flatMap((s) => [...s]));
  }

  async heldForServer(): Promise<string[]> {
    return (await this.each(this.o.fleet.hostNames(), (l) => l.heldForServer())).flat();
  }
}
