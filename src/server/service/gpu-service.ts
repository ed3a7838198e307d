// What the HTTP and gRPC APIs both do: list, reserve, destroy, strategies, loads and the ledger.
// Transport-free; identities arrive already checked. Each concern lives in a module of its own here.
import { costEstimate, type GpuInstance, type InstanceFilters } from '../../domain/instances.js';
import type { Clock } from '../../domain/ports.js';
import type { Strategy } from '../../domain/selection.js';
import type { Provider } from '../../providers/provider.js';
import type {
  CloudRecords,
  ReservationRecords,
  ServerReservation,
  SettingRecords,
  Transaction,
  User,
} from '../records/ports.js';
import { CloudLifecycle, type CloudSweep } from './cloud-lifecycle.js';
import { Ledger } from './ledger.js';
import { LoadBalancing, type LoadInfo } from './load-balancing.js';
import { ProviderSet } from './providers.js';
import { DEFAULT_CLOUD_MONEY, SpendingCaps, type CloudMoney } from './spending-caps.js';
import { Reserving, type ReserveInput, type ReserveOutcome } from './reserving.js';
import { DEFAULT_PROVIDER_TIMEOUTS, type ProviderTimeouts } from './timeout.js';

export type { CloudFinding, CloudSweep } from './cloud-lifecycle.js';
export type { LoadInfo } from './load-balancing.js';
export type { CreationError, ReserveInput, ReserveOutcome } from './reserving.js';
export { poolUser } from './reserving.js';
export { DEFAULT_PROVIDER_TIMEOUTS, type ProviderTimeouts } from './timeout.js';
export { DEFAULT_CLOUD_MONEY, type CloudMoney } from './spending-caps.js';

export class GpuService {
  private readonly providers: ProviderSet;
  private readonly balancing: LoadBalancing;
  private readonly ledger: Ledger;
  private readonly reserving: Reserving;
  private readonly cloud: CloudLifecycle;

  constructor(
    records: ReservationRecords & SettingRecords & CloudRecords,
    providers: Provider[],
    clock: Clock,
    timeouts: ProviderTimeouts = DEFAULT_PROVIDER_TIMEOUTS,
    money: CloudMoney = DEFAULT_CLOUD_MONEY,
  ) {
    this.providers = new ProviderSet(providers, timeouts);
    this.balancing = new LoadBalancing(records);
    this.cloud = new CloudLifecycle(records, this.providers, clock, timeouts);
    this.ledger = new Ledger(records, this.providers, clock, timeouts, this.cloud);
    const cloudProvider = (name: string) => {
      const p = this.providers.get(name);
      return p !== undefined && CloudLifecycle.handles(p);
    };
    const caps = new SpendingCaps(records, clock, money, cloudProvider);
    this.reserving = new Reserving(records, this.providers, this.balancing, clock, timeouts, this.cloud, money, caps);
  }

  static costs(totalPricePerHour: number) {
    return costEstimate(totalPricePerHour);
  }

  providerNames(): string[] {
    return this.providers.names();
  }

  get strategy(): Strategy {
    return this.balancing.strategy;
  }

  setStrategy(name: string): Promise<Strategy> {
    return this.balancing.setStrategy(name);
  }

  checkFilters(f: InstanceFilters): void {
    this.providers.checkFilters(f);
  }

  listInstances(filters: InstanceFilters): Promise<GpuInstance[]> {
    return this.providers.listInstances(filters);
  }

  /** Matching instances and each provider's answer (`ok`, or why it failed). */
  listWithAnswers(filters: InstanceFilters): Promise<{ instances: GpuInstance[]; answers: Record<string, string> }> {
    return this.providers.listWithAnswers(filters);
  }

  /** Reserves, as one request; `idle()` waits for those in flight (a shutdown must not cut them). */
  reserve(user: User, input: ReserveInput): Promise<ReserveOutcome> {
    return this.reserving.reserve(user, input);
  }

  /** Resolves once every reservation in flight has finished: recorded, or given back. */
  idle(): Promise<void> {
    return this.reserving.idle();
  }

  /** Frees grants that no reservation records (see Reserving.releaseUnrecorded). */
  releaseUnrecorded(): Promise<string[]> {
    return this.reserving.releaseUnrecorded();
  }

  /** Destroys what is due on the marketplaces and reconciles their labelled instances (see CloudLifecycle.sweep). */
  sweepCloud(fix = false): Promise<CloudSweep> {
    return this.cloud.sweep(fix);
  }

  /** Ends reservations their provider no longer holds (expired, reclaimed), charging up to their end. */
  reconcile(userId?: string): Promise<ServerReservation[]> {
    return this.ledger.reconcile(userId);
  }

  /** Only the owner, or an admin, may destroy a reservation. */
  destroy(user: User, provider: string, contractId: string): Promise<{ transaction: Transaction | null }> {
    return this.ledger.destroy(user, provider, contractId);
  }

  transactions(user: User, limit: number, offset: number) {
    return this.ledger.transactions(user, limit, offset);
  }

  /** Per provider/host and per provider: active reservations (reconciled first), latency and a score. */
  async loads(): Promise<{ server: LoadInfo[]; provider: LoadInfo[] }> {
    return this.balancing.loads(await this.ledger.reconcile(), this.providers.names());
  }
}
