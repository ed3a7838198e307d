// What the HTTP and gRPC APIs both do: list, reserve (1-16 at once, partial success, costs),
// destroy, strategies, loads and the ledger. Transport-free; identities arrive already checked.
import { costEstimate, matchesFilters, namedProvider, type GpuInstance, type InstanceFilters } from '../domain/instances.js';
import type { Clock } from '../domain/ports.js';
import { Claims } from '../domain/claims.js';
import { DEFAULT_STRATEGY, hostKey, isStrategy, newSelectionState, selectInstances, STRATEGIES, type Strategy } from '../domain/selection.js';
import { SERVER_HOLDER_PREFIX, type Provider } from '../providers/provider.js';
import type { ReservationRecords, ServerReservation, SettingRecords, Transaction, User } from './records/ports.js';
import { ApiError, storeTrouble } from './errors.js';
import {
  DEFAULT_DURATION_HOURS, MAX_DURATION_HOURS, MAX_GPUS_PER_REQUEST, MIN_DURATION_HOURS,
} from './request-limits.js';


export interface ReserveInput {
  count: number;
  filters: InstanceFilters;
  durationHours?: number;
  allOrNothing?: boolean;
}

/** One instance the provider failed to create, and why (one line). */
export interface CreationError {
  instanceId: string;
  provider: string;
  error: string;
}

export interface ReserveOutcome {
  reserved: Array<{ instance: GpuInstance; contractId: string }>;
  requested: number;
  errors: CreationError[];
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
  return `${SERVER_HOLDER_PREFIX}${user.email}`;
}

/** A failure as clients may read it: one line, and nothing of the store's insides. */
const firstLineOf = (err: unknown) => storeTrouble(err)?.message ?? String((err as Error)?.message ?? err).split('\n')[0]!;

export interface ProviderTimeouts {
  /** A provider that has not answered by then has failed this creation; a late success is undone. */
  createMs: number;
  /** A provider that cannot list (or say what it still holds) by then counts as down for this request. */
  listMs: number;
}

export const DEFAULT_PROVIDER_TIMEOUTS: ProviderTimeouts = { createMs: 30_000, listMs: 10_000 };

/** `work`, or a rejection naming `what` after `ms`; `onLate` gets a result that arrives after that. */
function withTimeout<T>(work: Promise<T>, ms: number, what: string, onLate: (value: T) => unknown = () => undefined): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      work.then(onLate).catch(() => undefined);
      reject(new Error(`${what} did not answer within ${ms / 1000} s`));
    }, ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** Exponential moving average weight of the newest latency sample. */
const EWMA_ALPHA = 0.3;
/** The latency a failed creation counts as: slower than any provider that answers. */
const FAILURE_LATENCY_MS = 5_000;

/** Instances chosen by requests in flight, counted per host and per provider. */
class PendingPicks {
  readonly byHost = new Map<string, number>();
  readonly byProvider = new Map<string, number>();

  add(picks: GpuInstance[], by = 1): void {
    for (const i of picks) {
      bump(this.byHost, hostKey(i), by);
      bump(this.byProvider, i.provider, by);
    }
  }

  remove(picks: GpuInstance[]): void {
    this.add(picks, -1);
  }
}

function bump(counts: Map<string, number>, key: string, by: number): void {
  const n = (counts.get(key) ?? 0) + by;
  if (n === 0) counts.delete(key);
  else counts.set(key, n);
}

const claimKey = (i: GpuInstance) => `${i.provider}\u0000${i.id}`;

export class GpuService {
  private readonly providers: Map<string, Provider>;
  private readonly selection = newSelectionState();
  private readonly latency = new Map<string, number>();
  /** Reservations ever made per provider: read once, then counted here (equal_weighted needs it each time). */
  private totals: Map<string, number> | null = null;
  private readonly claims = new Claims();
  private readonly pending = new PendingPicks();
  private readonly inFlight = new Set<Promise<ReserveOutcome>>();
  /** Reservations ever begun here: a sweep for unrecorded grants that saw one begin leaves them be. */
  private begun = 0;

  constructor(
    private readonly accounts: ReservationRecords & SettingRecords, providers: Provider[], private readonly clock: Clock,
    private readonly timeouts: ProviderTimeouts = DEFAULT_PROVIDER_TIMEOUTS,
  ) {
    this.providers = new Map(providers.map((p) => [p.name, p]));
  }

  providerNames(): string[] {
    return [...this.providers.keys()];
  }

  get strategy(): Strategy {
    const saved = this.accounts.setting('strategy');
    return saved && isStrategy(saved) ? saved : DEFAULT_STRATEGY;
  }

  async setStrategy(name: string): Promise<Strategy> {
    if (!isStrategy(name)) throw new ApiError('INVALID_ARGUMENT', `unknown strategy '${name}': use one of ${STRATEGIES.join(', ')}`);
    await this.accounts.setSetting('strategy', name);
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
    const lists = await Promise.all(providers.map((p) => withTimeout(p.available(), this.timeouts.listMs, `${p.name}'s listing`).then(
      (instances) => ({ instances, failure: null }),
      (err: unknown) => ({ instances: [] as GpuInstance[], failure: `${p.name}: ${firstLineOf(err)}` }),
    )));
    const failures = lists.flatMap((l) => (l.failure ? [l.failure] : []));
    // A provider that cannot list is an outage, not "no matching GPUs": say so when nothing else answered.
    if (failures.length === providers.length) throw new ApiError('UNAVAILABLE', `cannot list GPU instances (${failures.join('; ')})`);
    return lists.flatMap((l) => l.instances).filter((i) => matchesFilters(i, filters));
  }

  /** Reserves, as one request; `idle()` waits for those in flight (a shutdown must not cut them). */
  reserve(user: User, input: ReserveInput): Promise<ReserveOutcome> {
    this.begun++;
    const run = this.reserveNow(user, input);
    this.inFlight.add(run);
    const forget = () => this.inFlight.delete(run);
    run.then(forget, forget);
    return run;
  }

  /** Resolves once every reservation in flight has finished: recorded, or given back. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
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
    const candidates = await this.unclaimed(input.filters);
    // From here to the claims, nothing awaits: two requests never choose the same instance.
    if (candidates.length < count) {
      throw new ApiError('FAILED_PRECONDITION', `Only ${candidates.length} GPU instances match the filters; requested ${count}`, { matched: candidates.length, requested: count });
    }
    const chosen = selectInstances(this.strategy, candidates, count, this.selection, this.loadFacts());
    for (const instance of chosen) this.claims.take(claimKey(instance));
    // Until they are recorded, the strategies count these picks as the reservations they will be.
    this.pending.add(chosen);
    try {
      return await this.create(user, input, chosen, hours * 3_600_000);
    } finally {
      this.pending.remove(chosen);
    }
  }

  /** Creates the chosen instances side by side, then records what was made (or gives it all back). */
  private async create(user: User, input: ReserveInput, chosen: GpuInstance[], durationMs: number): Promise<ReserveOutcome> {
    const { count } = input;
    const attempts = await Promise.all(chosen.map(async (instance) => {
      const provider = this.providers.get(instance.provider)!;
      const started = performance.now();
      let created = false;
      try {
        const contractId = await withTimeout(provider.create(instance, poolUser(user), durationMs), this.timeouts.createMs, `${provider.name} creating ${instance.id}`,
          (late) => provider.destroy(late));
        created = true;
        this.recordLatency(instance.provider, performance.now() - started);
        // What the caller gets back: the instance as reserved, its contract id in the metadata.
        return { instance: { ...instance, status: 'reserved', metadata: { ...instance.metadata, contract_id: contractId } }, contractId };
      } catch (err) {
        // A failure is no fast answer: least_response_time must not prefer a provider that fails at once.
        this.recordLatency(instance.provider, Math.max(performance.now() - started, FAILURE_LATENCY_MS));
        return { instance, error: firstLineOf(err) };
      } finally {
        this.claims.settle(claimKey(instance), created);
      }
    }));
    const reserved = attempts.flatMap((a) => ('contractId' in a ? [{ instance: a.instance, contractId: a.contractId! }] : []));
    const errors = attempts.flatMap((a) => ('error' in a ? [{ instanceId: a.instance.id, provider: a.instance.provider, error: a.error! }] : []));
    if (reserved.length === 0) {
      throw new ApiError('INTERNAL', `Reserved none of ${count} GPUs: every creation failed`, { errors });
    }
    if (input.allOrNothing && errors.length > 0) {
      await this.giveBack(reserved);
      throw new ApiError('ABORTED', `Reserved none of ${count} GPUs: all_or_nothing was set and ${errors.length} creation(s) failed`, { errors });
    }
    const now = this.clock.now();
    try {
      await this.accounts.addReservations(reserved.map((r) => ({
        contractId: r.contractId, provider: r.instance.provider, userId: user.id, instance: r.instance,
        pricePerHour: r.instance.pricePerHour, createdAt: now, expiresAt: now + durationMs, endedAt: null,
      })));
    } catch (err) {
      // Unrecorded contracts would be held and billed by nobody: give them back.
      await this.giveBack(reserved);
      throw err;
    }
    const totals = this.totalsByProvider();
    for (const r of reserved) bump(totals, r.instance.provider, 1);
    const total = reserved.reduce((sum, r) => sum + r.instance.pricePerHour, 0);
    return {
      reserved, requested: count, errors, totalPricePerHour: total,
      message: reserved.length === count ? `Reserved ${count} GPUs` : `Reserved ${reserved.length} of ${count} GPUs`,
    };
  }

  /** Matching instances no other request is taking or took after this listing began. */
  private async unclaimed(filters: InstanceFilters): Promise<GpuInstance[]> {
    const mark = this.claims.beginListing();
    try {
      return (await this.listInstances(filters)).filter((i) => this.claims.free(claimKey(i), mark));
    } finally {
      this.claims.endListing(mark);
    }
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
    const active = await this.accounts.activeReservations(userId);
    const byProvider = new Map<string, ServerReservation[]>();
    for (const r of active) byProvider.set(r.provider, [...(byProvider.get(r.provider) ?? []), r]);
    const now = this.clock.now();
    const lists = await Promise.all([...byProvider].map(async ([name, list]) => {
      const provider = this.providers.get(name);
      try {
        const held = provider ? await withTimeout(provider.stillHeld(list.map((r) => r.contractId)), this.timeouts.listMs, `${name}'s list of held contracts`) : new Set<string>();
        return { list, held };
      } catch {
        // A provider that cannot say is not taken to have ended anything: its contracts stay, uncharged, until it can.
        return { list, held: new Set(list.map((r) => r.contractId)) };
      }
    }));
    const still: ServerReservation[] = [];
    for (const { list, held } of lists) {
      for (const r of list) {
        if (held.has(r.contractId)) still.push(r);
        else await this.accounts.endReservation(r, Math.min(now, r.expiresAt));
      }
    }
    return still;
  }

  /**
   * Ends what providers hold for the server with no active reservation on record: a server that died
   * between a grant and its record left GPUs held that nobody could end (DELETE finds no record).
   * They are released rather than recorded for their holder: the request never answered, so its
   * caller does not know those contracts (and may well have retried), and would be charged for them.
   * Grants of this server's requests in flight are not recorded yet either: a sweep that sees one
   * begin leaves everything be. One server per pool: another's grants would look unrecorded here.
   */
  async releaseUnrecorded(): Promise<string[]> {
    const begun = this.begun;
    const released: string[] = [];
    for (const provider of this.providers.values()) {
      if (!provider.heldForServer) continue;
      if (this.inFlight.size > 0) return released;
      const held = await provider.heldForServer();
      const recorded = await this.accounts.recordedActive(provider.name, held);
      if (this.begun !== begun || this.inFlight.size > 0) return released;
      for (const id of held.filter((c) => !recorded.has(c))) {
        if (await provider.destroy(id)) released.push(`${provider.name}/${id}`);
      }
    }
    return released;
  }

  /** Only the owner, or an admin, may destroy a reservation. */
  async destroy(user: User, providerName: string, contractId: string): Promise<{ transaction: Transaction | null }> {
    const r = await this.accounts.reservation(providerName, contractId);
    if (!r || r.endedAt !== null) throw new ApiError('NOT_FOUND', `no active reservation ${contractId} on ${providerName}`);
    if (r.userId !== user.id && !user.isAdmin) {
      // Contract ids others could guess say no more than "not yours"; the id itself is not echoed.
      throw new ApiError('PERMISSION_DENIED', 'that reservation belongs to another user');
    }
    await this.providers.get(providerName)?.destroy(contractId);
    return { transaction: await this.accounts.endReservation(r, Math.min(this.clock.now(), r.expiresAt)) };
  }

  private recordLatency(provider: string, ms: number): void {
    const previous = this.latency.get(provider);
    this.latency.set(provider, previous === undefined ? ms : previous + EWMA_ALPHA * (ms - previous));
  }

  private totalsByProvider(): Map<string, number> {
    this.totals ??= this.accounts.countByProvider();
    return this.totals;
  }

  /** What the strategies weigh: recorded reservations plus the picks of requests still creating theirs. */
  private loadFacts() {
    const active = new Map(this.accounts.activeCountsByHost().map((a) => [hostKey(a), a.n]));
    const totalByProvider = new Map(this.totalsByProvider());
    for (const [host, n] of this.pending.byHost) bump(active, host, n);
    for (const [provider, n] of this.pending.byProvider) bump(totalByProvider, provider, n);
    return { active, totalByProvider, avgResponseMs: this.latency };
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
