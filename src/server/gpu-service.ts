// What the HTTP and gRPC APIs both do: list, reserve (1-16 at once, partial success, costs),
// destroy, strategies, loads and the ledger. Transport-free; identities arrive already checked.
import { costEstimate, matchesFilters, namedProvider, type GpuInstance, type InstanceFilters } from '../domain/instances.js';
import type { Clock } from '../domain/ports.js';
import { DEFAULT_STRATEGY, hostKey, isStrategy, newSelectionState, selectInstances, STRATEGIES, type Strategy } from '../domain/selection.js';
import type { Provider } from '../providers/provider.js';
import type { Accounts, ServerReservation, Transaction, User } from './accounts/accounts.js';
import { ApiError } from './errors.js';

export const MAX_GPUS_PER_REQUEST = 16;
export const DEFAULT_DURATION_HOURS = 8;
const MAX_DURATION_HOURS = 24 * 30;
const MIN_DURATION_HOURS = 1 / 60;

export interface ReserveInput {
  count: number;
  filters: InstanceFilters;
  durationHours?: number;
  allOrNothing?: boolean;
}

export interface ReserveOutcome {
  reserved: Array<{ instance: GpuInstance; contractId: string }>;
  requested: number;
  errors: Array<{ instance_id: string; provider: string; error: string }>;
  message: string;
  totalPricePerHour: number;
}

export interface LoadInfo {
  instanceId: string;
  provider: string;
  connections: number;
  avgResponseTimeMs: number;
  loadScore: number;
}

/**
 * The holder a server reservation shows in the pool: `api:<email>`, unique, and never a local login
 * (logins cannot hold ':'), so `canhazgpu release` by a local user of the same name cannot end it.
 */
export function poolUser(user: User): string {
  return `api:${user.email}`;
}

const firstLineOf = (err: unknown) => String((err as Error)?.message ?? err).split('\n')[0]!;

/** A provider that has not answered by then has failed this creation; a late success is undone. */
const CREATE_TIMEOUT_MS = 30_000;

function withTimeout(create: Promise<string>, ms: number, provider: Provider, instance: GpuInstance): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      create.then((contractId) => provider.destroy(contractId)).catch(() => undefined);
      reject(new Error(`${provider.name} did not answer within ${ms / 1000} s for ${instance.id}`));
    }, ms);
  });
  return Promise.race([create, timeout]).finally(() => clearTimeout(timer));
}

/** Exponential moving average weight of the newest latency sample. */
const EWMA_ALPHA = 0.3;

export class GpuService {
  private readonly providers: Map<string, Provider>;
  private readonly selection = newSelectionState();
  private readonly latency = new Map<string, number>();
  /** Reservations ever made per provider: read once, then counted here (equal_weighted needs it each time). */
  private totals: Map<string, number> | null = null;
  /** Serialises reservations so strategies see each other's picks. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly accounts: Accounts, providers: Provider[], private readonly clock: Clock) {
    this.providers = new Map(providers.map((p) => [p.name, p]));
  }

  providerNames(): string[] {
    return [...this.providers.keys()];
  }

  get strategy(): Strategy {
    const saved = this.accounts.setting('strategy');
    return saved && isStrategy(saved) ? saved : DEFAULT_STRATEGY;
  }

  setStrategy(name: string): Strategy {
    if (!isStrategy(name)) throw new ApiError('INVALID_ARGUMENT', `unknown strategy '${name}': use one of ${STRATEGIES.join(', ')}`);
    this.accounts.setSetting('strategy', name);
    return name;
  }

  checkFilters(f: InstanceFilters): void {
    const named = namedProvider(f);
    if (named && !this.providers.has(named)) {
      throw new ApiError('INVALID_ARGUMENT', `unknown provider '${named}': use one of ${this.providerNames().join(', ')} (or all)`);
    }
    for (const [name, value] of [['min_vram', f.minVramGb], ['max_price', f.maxPricePerHour]] as const) {
      if (value !== undefined && (!Number.isFinite(value) || value < 0)) throw new ApiError('INVALID_ARGUMENT', `${name} must be a number of at least 0`);
    }
  }

  async listInstances(filters: InstanceFilters): Promise<GpuInstance[]> {
    this.checkFilters(filters);
    const named = namedProvider(filters);
    const providers = named ? [this.providers.get(named)!] : [...this.providers.values()];
    const lists = await Promise.all(providers.map((p) => p.available().then(
      (instances) => ({ instances, failure: null }),
      (err: unknown) => ({ instances: [] as GpuInstance[], failure: `${p.name}: ${firstLineOf(err)}` }),
    )));
    const failures = lists.flatMap((l) => (l.failure ? [l.failure] : []));
    // A provider that cannot list is an outage, not "no matching GPUs": say so when nothing else answered.
    if (failures.length === providers.length) throw new ApiError('INTERNAL', `cannot list GPU instances (${failures.join('; ')})`);
    return lists.flatMap((l) => l.instances).filter((i) => matchesFilters(i, filters));
  }

  reserve(user: User, input: ReserveInput): Promise<ReserveOutcome> {
    const run = this.queue.then(() => this.reserveNow(user, input));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async reserveNow(user: User, input: ReserveInput): Promise<ReserveOutcome> {
    const { count } = input;
    if (!Number.isInteger(count) || count < 1 || count > MAX_GPUS_PER_REQUEST) {
      throw new ApiError('INVALID_ARGUMENT', `count must be a whole number from 1 to ${MAX_GPUS_PER_REQUEST}`);
    }
    const hours = input.durationHours ?? DEFAULT_DURATION_HOURS;
    if (!Number.isFinite(hours) || hours < MIN_DURATION_HOURS || hours > MAX_DURATION_HOURS) {
      throw new ApiError('INVALID_ARGUMENT', `duration_hours must be from ${MIN_DURATION_HOURS.toFixed(4)} (one minute) to ${MAX_DURATION_HOURS}`);
    }
    const candidates = await this.listInstances(input.filters);
    if (candidates.length < count) {
      throw new ApiError('FAILED_PRECONDITION', `Only ${candidates.length} GPU instances match the filters; requested ${count}`, { matched: candidates.length, requested: count });
    }
    const chosen = selectInstances(this.strategy, candidates, count, this.selection, this.loadFacts());
    const durationMs = hours * 3_600_000;
    const attempts = await Promise.all(chosen.map(async (instance) => {
      const provider = this.providers.get(instance.provider)!;
      const started = performance.now();
      try {
        const contractId = await withTimeout(provider.create(instance, poolUser(user), durationMs), CREATE_TIMEOUT_MS, provider, instance);
        // What the caller gets back: the instance as reserved, its contract id in the metadata.
        return { instance: { ...instance, status: 'reserved', metadata: { ...instance.metadata, contract_id: contractId } }, contractId };
      } catch (err) {
        return { instance, error: firstLineOf(err) };
      } finally {
        this.recordLatency(instance.provider, performance.now() - started);
      }
    }));
    const reserved = attempts.flatMap((a) => ('contractId' in a ? [{ instance: a.instance, contractId: a.contractId! }] : []));
    const errors = attempts.flatMap((a) => ('error' in a ? [{ instance_id: a.instance.id, provider: a.instance.provider, error: a.error! }] : []));
    if (reserved.length === 0) {
      throw new ApiError('INTERNAL', `Reserved none of ${count} GPUs: every creation failed`, { errors });
    }
    if (input.allOrNothing && errors.length > 0) {
      await this.giveBack(reserved);
      throw new ApiError('ABORTED', `Reserved none of ${count} GPUs: all_or_nothing was set and ${errors.length} creation(s) failed`, { errors });
    }
    const now = this.clock.now();
    try {
      this.accounts.addReservations(reserved.map((r) => ({
        contractId: r.contractId, provider: r.instance.provider, userId: user.id, instance: r.instance,
        pricePerHour: r.instance.pricePerHour, createdAt: now, expiresAt: now + durationMs, endedAt: null,
      })));
    } catch (err) {
      // Unrecorded contracts would be held and billed by nobody: give them back.
      await this.giveBack(reserved);
      throw err;
    }
    const totals = this.totalsByProvider();
    for (const r of reserved) totals.set(r.instance.provider, (totals.get(r.instance.provider) ?? 0) + 1);
    const total = reserved.reduce((sum, r) => sum + r.instance.pricePerHour, 0);
    return {
      reserved, requested: count, errors, totalPricePerHour: total,
      message: reserved.length === count ? `Reserved ${count} GPUs` : `Reserved ${reserved.length} of ${count} GPUs`,
    };
  }

  /** Ends contracts made for a request that will not keep them; a provider's failure here is not the caller's. */
  private async giveBack(reserved: Array<{ instance: GpuInstance; contractId: string }>): Promise<void> {
    await Promise.all(reserved.map((r) => this.providers.get(r.instance.provider)!.destroy(r.contractId).catch(() => false)));
  }

  static costs(totalPricePerHour: number) {
    return costEstimate(totalPricePerHour);
  }

  /** Ends reservations their provider no longer holds (expired, reclaimed), charging up to their end. */
  async reconcile(userId?: string): Promise<ServerReservation[]> {
    const active = this.accounts.activeReservations(userId);
    const byProvider = new Map<string, ServerReservation[]>();
    for (const r of active) byProvider.set(r.provider, [...(byProvider.get(r.provider) ?? []), r]);
    const now = this.clock.now();
    const still: ServerReservation[] = [];
    for (const [name, list] of byProvider) {
      const provider = this.providers.get(name);
      const held = provider ? await provider.stillHeld(list.map((r) => r.contractId)) : new Set<string>();
      for (const r of list) {
        if (held.has(r.contractId)) still.push(r);
        else this.accounts.endReservation(r, Math.min(now, r.expiresAt));
      }
    }
    return still;
  }

  /** Only the owner, or an admin, may destroy a reservation. */
  async destroy(user: User, providerName: string, contractId: string): Promise<{ transaction: Transaction | null }> {
    const r = this.accounts.reservation(providerName, contractId);
    if (!r || r.endedAt !== null) throw new ApiError('NOT_FOUND', `no active reservation ${contractId} on ${providerName}`);
    if (r.userId !== user.id && !user.isAdmin) {
      // Contract ids others could guess say no more than "not yours"; the id itself is not echoed.
      throw new ApiError('PERMISSION_DENIED', 'that reservation belongs to another user');
    }
    await this.providers.get(providerName)?.destroy(contractId);
    return { transaction: this.accounts.endReservation(r, Math.min(this.clock.now(), r.expiresAt)) };
  }

  private recordLatency(provider: string, ms: number): void {
    const previous = this.latency.get(provider);
    this.latency.set(provider, previous === undefined ? ms : previous + EWMA_ALPHA * (ms - previous));
  }

  private totalsByProvider(): Map<string, number> {
    this.totals ??= this.accounts.countByProvider();
    return this.totals;
  }

  private loadFacts() {
    const active = new Map(this.accounts.activeCountsByHost().map((a) => [`${a.provider}/${a.location}`, a.n]));
    return { active, totalByProvider: this.totalsByProvider(), avgResponseMs: this.latency };
  }

  /** Per provider/host and per provider: active reservations, latency and a combined score. */
  async loads(): Promise<{ server: LoadInfo[]; provider: LoadInfo[] }> {
    const active = await this.reconcile();
    const tally = (key: (r: ServerReservation) => string) => {
      const m = new Map<string, { provider: string; n: number }>();
      for (const r of active) {
        const k = key(r);
        m.set(k, { provider: r.provider, n: (m.get(k)?.n ?? 0) + 1 });
      }
      return m;
    };
    const info = (instanceId: string, provider: string, n: number): LoadInfo => {
      const ms = Math.round((this.latency.get(provider) ?? 0) * 1000) / 1000;
      return { instanceId, provider, connections: n, avgResponseTimeMs: ms, loadScore: Math.round((n + ms / 100) * 1000) / 1000 };
    };
    const hosts = tally((r) => hostKey(r.instance));
    const providers = tally((r) => r.provider);
    for (const name of this.providers.keys()) if (!providers.has(name)) providers.set(name, { provider: name, n: 0 });
    return {
      server: [...hosts].map(([k, v]) => info(k, v.provider, v.n)),
      provider: [...providers].map(([k, v]) => info(k, v.provider, v.n)),
    };
  }

  transactions(user: User, limit: number, offset: number) {
    return this.accounts.transactions(user.id, limit, offset);
  }
}
