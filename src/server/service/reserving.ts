// Reserving: 1-16 instances per request, created side by side (partial success, or all or nothing),
// recorded together; and the sweep for grants a dead server never recorded.
import { Claims } from '../../domain/claims.js';
import type { GpuInstance, InstanceFilters } from '../../domain/instances.js';
import type { Clock } from '../../domain/ports.js';
import { createdOf, SERVER_HOLDER_PREFIX } from '../../providers/provider.js';
import { ApiError, firstLineOf } from '../errors.js';
import type { ReservationRecords, User } from '../records/ports.js';
import { MAX_GPUS_PER_REQUEST, MIN_DURATION_HOURS } from '../request-limits.js';
import { CloudLifecycle } from './cloud-lifecycle.js';
import type { CloudMoney, SpendingCaps } from './spending-caps.js';
import type { LoadBalancing } from './load-balancing.js';
import type { ProviderSet } from './providers.js';
import { withTimeout, type ProviderTimeouts } from './timeout.js';

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

/**
 * The holder a server reservation shows in the pool: `api:<email>`, unique, and never a local login
 * (logins cannot hold ':'), so `canhazgpu release` by a local user of the same name cannot end it.
 */
export function poolUser(user: User): string {
  return `${SERVER_HOLDER_PREFIX}${user.email}`;
}

/** The latency a failed creation counts as: slower than any provider that answers. */
const FAILURE_LATENCY_MS = 5_000;

const claimKey = (i: GpuInstance) => `${i.provider}\u0000${i.id}`;

/** `cloudId`: the record of a marketplace's creation (see CloudLifecycle), null for this host's pool. */
type Made = { instance: GpuInstance; contractId: string; cloudId: string | null };
type Failed = { instance: GpuInstance; error: string; cloudId: string | null };

export class Reserving {
  private readonly claims = new Claims();
  private readonly inFlight = new Set<Promise<ReserveOutcome>>();
  /** Reservations ever begun here: a sweep for unrecorded grants that saw one begin leaves them be. */
  private begun = 0;

  constructor(
    private readonly records: ReservationRecords,
    private readonly providers: ProviderSet,
    private readonly balancing: LoadBalancing,
    private readonly clock: Clock,
    private readonly timeouts: ProviderTimeouts,
    private readonly cloud: CloudLifecycle,
    private readonly money: CloudMoney,
    private readonly caps: SpendingCaps,
  ) {}

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
    const hours = input.durationHours ?? this.money.defaultHours;
    const maxHours = this.money.maxHours;
    if (!Number.isFinite(hours) || hours < MIN_DURATION_HOURS || hours > maxHours) {
      throw new ApiError(
        'INVALID_ARGUMENT',
        `duration_hours must be from ${MIN_DURATION_HOURS.toFixed(4)} ` + `(one minute) to ${maxHours}`,
      );
    }
    const committed = await this.caps.committed(user);
    try {
      const listing = await this.unclaimed(input.filters);
      // From here to the claims, nothing awaits: two requests never choose the same instance.
      const candidates = listing.free();
      listing.done();
      if (candidates.length < count) {
        throw new ApiError(
          'FAILED_PRECONDITION',
          `Only ${candidates.length} GPU instances match the filters; ` + `requested ${count}`,
          { matched: candidates.length, requested: count },
        );
      }
      // Until they are recorded, the strategies count these picks as the reservations they will be.
      const chosen = this.balancing.choose(candidates, count);
      // Refused before anything is claimed or created; taken at once, so the user's other requests count it.
      const estimate = chosen
        .filter((i) => CloudLifecycle.handles(this.providers.get(i.provider)!))
        .reduce((sum, i) => sum + i.pricePerHour * hours, 0);
      const hold = this.caps.take(committed, estimate);
      for (const instance of chosen) this.claims.take(claimKey(instance));
      try {
        return await this.create(user, input, chosen, hours * 3_600_000);
      } finally {
        this.balancing.settle(chosen);
        hold.release();
      }
    } finally {
      this.caps.done(committed);
    }
  }

  /** Creates one instance: the reserved instance and its contract id, or why it failed. */
  private async createOne(
    user: User,
    instance: GpuInstance,
    durationMs: number,
    maxPricePerHour: number | undefined,
  ): Promise<Made | Failed> {
    const provider = this.providers.get(instance.provider)!;
    const started = performance.now();
    let created = false;
    let cloudId: string | null = null;
    try {
      // A marketplace's creation is on record before it is asked for: a crash after it is found again.
      if (CloudLifecycle.handles(provider)) cloudId = await this.cloud.begin(user, instance, durationMs);
      const options = maxPricePerHour === undefined ? {} : { maxPricePerHour };
      const made = createdOf(
        await withTimeout(
          provider.create(instance, poolUser(user), durationMs, cloudId ?? undefined, options),
          this.timeouts.createMs,
          `${provider.name} creating ${instance.id}`,
          (late) => provider.destroy(createdOf(late, instance).contractId),
        ),
        instance,
      );
      const { contractId } = made;
      created = true;
      if (cloudId) await this.cloud.created(cloudId, contractId);
      this.balancing.recordLatency(instance.provider, performance.now() - started);
      // What the caller gets back: the instance as made (price as quoted), its contract id in the metadata.
      const metadata = { ...made.instance.metadata, contract_id: contractId };
      return { instance: { ...made.instance, status: 'reserved', metadata }, contractId, cloudId };
    } catch (err) {
      // Made but not noted: it stays `creating`, and the next sweep destroys it once this request is over.
      if (cloudId && !created) await this.cloud.failed(cloudId, firstLineOf(err));
      // A failure is no fast answer: least_response_time must not prefer a provider that fails at once.
      this.balancing.recordLatency(instance.provider, Math.max(performance.now() - started, FAILURE_LATENCY_MS));
      return { instance, error: firstLineOf(err), cloudId };
    } finally {
      this.claims.settle(claimKey(instance), created);
    }
  }

  /** Creates the chosen instances side by side, then records what was made (or gives it all back). */
  private async create(
    user: User,
    input: ReserveInput,
    chosen: GpuInstance[],
    durationMs: number,
  ): Promise<ReserveOutcome> {
    const attempts = await Promise.all(
      chosen.map((instance) => this.createOne(user, instance, durationMs, input.filters.maxPricePerHour)),
    );
    try {
      return await this.keep(user, input, attempts, durationMs);
    } finally {
      this.cloud.settle(attempts.flatMap((a) => (a.cloudId ? [a.cloudId] : [])));
    }
  }

  /** Records what was made, or gives it all back. */
  private async keep(
    user: User,
    input: ReserveInput,
    attempts: Array<Made | Failed>,
    durationMs: number,
  ): Promise<ReserveOutcome> {
    const { count } = input;
    const reserved = attempts.flatMap((a) => ('contractId' in a ? [a] : []));
    const errors = attempts.flatMap((a) =>
      'error' in a ? [{ instanceId: a.instance.id, provider: a.instance.provider, error: a.error }] : [],
    );
    if (reserved.length === 0) {
      throw new ApiError('INTERNAL', `Reserved none of ${count} GPUs: every creation failed`, { errors });
    }
    if (input.allOrNothing && errors.length > 0) {
      await this.giveBack(reserved);
      throw new ApiError(
        'ABORTED',
        `Reserved none of ${count} GPUs: all_or_nothing was set and ` + `${errors.length} creation(s) failed`,
        { errors },
      );
    }
    const now = this.clock.now();
    try {
      await this.records.addReservations(
        reserved.map((r) => ({
          contractId: r.contractId,
          provider: r.instance.provider,
          userId: user.id,
          instance: r.instance,
          pricePerHour: r.instance.pricePerHour,
          createdAt: now,
          expiresAt: now + durationMs,
          endedAt: null,
        })),
      );
    } catch (err) {
      // Unrecorded contracts would be held and billed by nobody: give them back.
      await this.giveBack(reserved);
      throw err;
    }
    this.balancing.recorded(reserved.map((r) => r.instance));
    const total = reserved.reduce((sum, r) => sum + r.instance.pricePerHour, 0);
    return {
      reserved,
      requested: count,
      errors,
      totalPricePerHour: total,
      message: reserved.length === count ? `Reserved ${count} GPUs` : `Reserved ${reserved.length} of ${count} GPUs`,
    };
  }

  /**
   * Matching instances no other request is taking or took after this listing began, as a function
   * to call where nothing awaits until the claims are taken: a request whose listing ended at the same
   * moment may claim some in between. The mark is held until `done`.
   */
  private async unclaimed(filters: InstanceFilters): Promise<{ free: () => GpuInstance[]; done: () => void }> {
    const mark = this.claims.beginListing();
    try {
      const listed = await this.providers.listInstances(filters);
      let ended = false;
      return {
        free: () => listed.filter((i) => this.claims.free(claimKey(i), mark)),
        done: () => {
          if (!ended) this.claims.endListing(mark);
          ended = true;
        },
      };
    } catch (err) {
      this.claims.endListing(mark);
      throw err;
    }
  }

  /** Ends contracts made for a request that will not keep them; a provider's failure here is not the caller's. */
  private async giveBack(reserved: Made[]): Promise<void> {
    await Promise.all(
      reserved.map((r) => {
        const provider = this.providers.get(r.instance.provider)!;
        // A marketplace's end is on record first, and retried by the sweep until confirmed.
        if (r.cloudId) return this.cloud.giveBack(r.cloudId, provider, r.contractId);
        return provider.destroy(r.contractId).catch(() => false);
      }),
    );
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
    for (const provider of this.providers.all()) {
      if (!provider.heldForServer || CloudLifecycle.handles(provider)) continue;
      if (this.inFlight.size > 0) return released;
      const held = await provider.heldForServer();
      const recorded = await this.records.recordedActive(provider.name, held);
      if (this.begun !== begun || this.inFlight.size > 0) return released;
      for (const id of held.filter((c) => !recorded.has(c))) {
        if (await provider.destroy(id)) released.push(`${provider.name}/${id}`);
      }
    }
    return released;
  }
}
