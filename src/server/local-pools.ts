// The server's local provider: this host's pool, or, on a Redis that a fleet shares, every host's pool
// (location = host), each read through its host's shared GPU reading.
import { FLEET_STALE_AFTER_MS } from '../domain/fleet.js';
import { type Clock, isFleet, type Store } from '../domain/ports.js';
import { FleetService, type HostStatus } from '../pool/fleet-service.js';
import { PoolService } from '../pool/pool-service.js';
import { RemoteReadingProbe } from '../probe/remote-reading-probe.js';
import { FleetProvider } from '../providers/local/fleet-provider.js';
import { LocalProvider } from '../providers/local/local-provider.js';
import type { Provider } from '../providers/provider.js';

export interface LocalPoolsOptions {
  /** The store as opened (a fleet's Redis knows its hosts); `pool` reads this host's part of it. */
  store: Store;
  pool: PoolService;
  clock: Clock;
  pricePerGpuHour: () => number;
  /** Another host's pool, judged as this host's is. */
  poolOptions: Pick<ConstructorParameters<typeof PoolService>[0], 'owners' | 'staleAfterMs' | 'inUseThresholdMb'>;
}

export interface LocalPools {
  provider: Provider;
  /** Every host's GPUs, for the dashboard; null when the store is this host's alone. */
  hosts: (() => Promise<HostStatus[]>) | null;
}

export function localPools(o: LocalPoolsOptions): LocalPools {
  const local = (pool: PoolService, host?: string) =>
    new LocalProvider({ pool, clock: o.clock, pricePerGpuHour: o.pricePerGpuHour, host });
  const store = o.store;
  if (!isFleet(store) || store.host === '') return { provider: local(o.pool), hosts: null };
  const poolOf = (host: string): PoolService => {
    if (host === store.host) return o.pool;
    const hostStore = store.poolOf(host);
    const probe = new RemoteReadingProbe(hostStore, host, o.clock, FLEET_STALE_AFTER_MS);
    return new PoolService({ ...o.poolOptions, store: hostStore, probe, clock: o.clock });
  };
  const fleet = new FleetService({ fleet: store, clock: o.clock, poolOf });
  return {
    provider: new FleetProvider({ fleet, local: (host) => local(poolOf(host), host) }),
    hosts: () => fleet.status(),
  };
}
