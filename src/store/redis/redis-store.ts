// The Redis store: the key schema of the other canhazgpu tools, so all of them share one pool, with
// every write an atomic Lua script (lua/). Built on ioredis.
import { Redis, type RedisOptions } from 'ioredis';
import { MAX_POOL_SIZE, newReservation, type AllocationRequest } from '../../domain/allocation.js';
import {
  CanhazError,
  NotEnoughGpusError,
  PoolAlreadyInitializedError,
  QueueChangedError,
  PoolNotInitializedError,
  StoreUnavailableError,
} from '../../domain/errors.js';
import { DAY_MS, DEFAULT_HISTORY_DAYS, type EndReason, type HistoryRecord } from '../../domain/history.js';
import type { Liveness } from '../../domain/liveness.js';
import type { PoolOwner } from '../../domain/pool-owner.js';
import { GpusUnavailableError } from '../../domain/gpu-ids.js';
import type {
  ExtendedGpu,
  Fleet,
  GpuReading,
  HostRecord,
  InitializeResult,
  ReadingStore,
  Store,
} from '../../domain/ports.js';
import { type Clock, systemClock } from '../../domain/ports.js';
import {
  type AllocationPolicy,
  type GpuSlot,
  isAllocationPolicy,
  type OwnerRef,
  type PoolSnapshot,
} from '../../domain/reservation.js';
import { redactUrl } from '../redact-url.js';
import { decodeReading, encodeUsage } from '../reading-codec.js';
import { decodeProber, encodeProber } from '../prober-codec.js';
import { clusterClient, isCluster, type RedisClient, scanKeys } from './client.js';
import { parseClusterUrl } from './cluster-url.js';
import { decodeHostRecord, HOST_RECORD_FRESH_MS, hostPatch } from './fleet-schema.js';
import { CLUSTER_LAYOUT, type KeyLayout, SERVER_LAYOUT } from './key-layout.js';
import { queueKeys } from './queue-codec.js';
import { RedisQueue } from './redis-queue.js';
import {
  decodePoolOwner,
  decodeSlot,
  encodeReservation,
  HOSTS_KEY,
  PLAIN_HOST_KEY,
  PLAIN_KEYS,
  POLICY_NAME,
  type PoolKeys,
  READING_TTL_S,
} from './schema.js';
import { decodeHistory, HISTORY_NAME } from './history.js';
import { addUnreservedCall, readUnreservedFrom } from './unreserved.js';
import type { UnreservedUse } from '../../domain/unreserved.js';
import { loadScript, SCRIPT_NAMES, type ScriptName } from './scripts.js';
import { parseSentinelUrl } from './sentinel-url.js';

/** The other tools hold their lock for at most 10 s (SET NX EX 10); wait a little longer than that. */
export const DEFAULT_LOCK_WAIT_MS = 12_000;

export interface RedisStoreOptions {
  /** A long-lived client (run's heartbeat) reconnects forever; a one-shot command fails fast. */
  reconnect?: boolean;
  /** How long to wait for another tool's allocation lock before giving up. */
  lockWaitMs?: number;
  /** How long ended reservations stay in the history (default 90 days). */
  historyRetentionMs?: number;
  /**
   * This host's name in a fleet sharing the Redis: its pool is the plain keys when it holds them (or
   * nobody does), else its own tagged keys; connecting refreshes its record. Absent: the plain keys.
   * On a Redis Cluster every host's pool is its tagged keys (key-layout.ts), and a host is required.
   */
  host?: string;
  /** Recorded in the host's record. */
  version?: string;
  /**
   * Connecting refreshes this host's record only when it is missing, of another version, or last seen this
   * long ago (ms): a burst of commands writes the registry once. Default: 0 (every time) for a long-lived
   * client (`reconnect`: the agent, serve), HOST_RECORD_FRESH_MS for a one-shot command.
   */
  registerAfterMs?: number;
  /** The time a registration records (tests inject one). */
  clock?: Clock;
}

/** The URL with its password hidden, for messages. */
/**
 * The scripts each client (shared by a store and its fleet's pools) has defined: each is read and defined on
 * first use, as a `status` runs one at most (reading all eleven cost it 1.4% of `node -e 0`).
 */
const definedOn = new WeakMap<RedisClient, Set<ScriptName>>();

function defineOnce(client: RedisClient, name: ScriptName): void {
  const defined = definedOn.get(client) ?? new Set<ScriptName>();
  definedOn.set(client, defined);
  if (defined.has(name)) return;
  client.defineCommand(name, { lua: loadScript(name) });
  defined.add(name);
}

/** The arguments the scripts over one user's reservations start with: who, when, and which owners live. */
function userScope(user: string, now: number, liveness: Liveness): Array<string | number> {
  return [
    user,
    now / 1000,
    liveness.staleAfterMs / 1000,
    JSON.stringify([...liveness.deadTokens]),
    JSON.stringify([...liveness.liveTokens]),
  ];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * This module is loaded on first use (openStore's import()), so commands on the SQLite store never pay for
 * the Redis client; the build bundles ioredis into its chunk: one file read instead of some fifty requires.
 */
function redisClient(): typeof Redis {
  return Redis;
}

type ScriptReply = Array<string | number | null>;

export class RedisStore implements Store, ReadingStore, Fleet {
  readonly location: string;
  private lastError: Error | null = null;
  /** The pool size last seen; scripts check it and answer 'resize' when admin changed it. */
  private knownCount: number | null = null;
  /** The host whose pool the plain keys are, as last read (null: nobody claimed them). */
  private plainHost: string | null = null;
  /** The wait queue, in the Go rewrite's keys (redis-queue.ts). */
  readonly queue: RedisQueue;
  /** Which keys are whose: one server's, or a Redis Cluster's (key-layout.ts). */
  private readonly layout: KeyLayout;

  private constructor(
    private readonly redis: RedisClient,
    url: string,
    private readonly lockWaitMs: number,
    private readonly historyRetentionMs: number,
    readonly host: string,
    private keys: PoolKeys,
    /** A view of another host's pool shares the client of the store it came from, which closes it. */
    private readonly parent: RedisStore | null = null,
  ) {
    this.location = redactUrl(url);
    this.layout = isCluster(redis) ? CLUSTER_LAYOUT : SERVER_LAYOUT;
    this.queue = new RedisQueue({ redis, call: (fn) => this.call(fn), keys: () => queueKeys(this.keys) });
    if (parent) return;
    redis.on('error', (err: Error) => {
      // ioredis reports connection trouble here; calls fail with their own error. A cluster's "Failed to
      // refresh slots cache." says less than the failed call's own "None of startup nodes is available",
      // unless a node answered why (NOAUTH, cluster support disabled).
      const nodeError = (err as Error & { lastNodeError?: Error }).lastNodeError;
      if (err.name !== 'ClusterAllFailedError') this.lastError = err;
      else if (nodeError?.name === 'ReplyError') this.lastError = nodeError;
    });
    redis.on('ready', () => {
      this.lastError = null; // that trouble is over: a later failure has a cause of its own
    });
  }

  static async connect(url: string, options: RedisStoreOptions = {}): Promise<RedisStore> {
    const settings: RedisOptions = {
      lazyConnect: true,
      connectTimeout: 3000,
      // Calls fail at once while disconnected instead of queueing: a command never hangs on a dead store.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: () => null, // the first connection must succeed; see below for later ones
    };
    const sentinel = parseSentinelUrl(url);
    if (typeof sentinel === 'string') throw new CanhazError(`invalid store URL '${redactUrl(url)}': ${sentinel}`);
    const cluster = parseClusterUrl(url);
    if (typeof cluster === 'string') throw new CanhazError(`invalid store URL '${redactUrl(url)}': ${cluster}`);
    const host = options.host ?? '';
    // On a cluster, this host's tagged keys from the start (a host name that cannot tag them stops here).
    const keys = cluster ? CLUSTER_LAYOUT.pool(host, null) : PLAIN_KEYS;
    // Through Sentinels: the primary they name now, and after a failover the one they name then (a
    // connection lost, or a demoted primary refusing writes, asks them again). Not ioredis's
    // failoverDetector: its disconnect can land in a reconnection and end the client for good.
    const redis: RedisClient = cluster
      ? clusterClient(cluster, settings)
      : sentinel
        ? new (redisClient())({
            ...settings,
            ...sentinel,
            sentinelRetryStrategy: () => null,
            reconnectOnError: (err) => err.message.startsWith('READONLY'),
          })
        : new (redisClient())(url, settings);
    const retentionMs = options.historyRetentionMs ?? DEFAULT_HISTORY_DAYS * DAY_MS;
    const lockWaitMs = options.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS;
    const store = new RedisStore(redis, url, lockWaitMs, retentionMs, host, keys);
    try {
      await redis.connect();
    } catch (err) {
      redis.disconnect();
      throw store.unavailable(err);
    }
    // ioredis selects the URL's database on connect but only reports a failure as an event, and then
    // works on database 0: select it again, and stop on a database the server does not have.
    const db = isCluster(redis) ? 0 : (redis.options.db ?? 0);
    if (db !== 0) {
      try {
        await redis.select(db);
      } catch (err) {
        redis.disconnect();
        throw new StoreUnavailableError(
          `Cannot use database ${db} of the GPU store at ${store.location} (${(err as Error).message}); choose a database the server has with --store.`,
        );
      }
    }
    if (options.host !== undefined) {
      const freshMs = options.registerAfterMs ?? (options.reconnect ? 0 : HOST_RECORD_FRESH_MS);
      await store.joinFleet(options.version ?? null, (options.clock ?? systemClock).now(), freshMs);
    }
    if (options.reconnect) {
      // A long-lived command reads every script now: upgraded files beside a running one stay unread.
      for (const name of SCRIPT_NAMES) loadScript(name);
      const retry = (attempt: number) => Math.min(100 * attempt, 1000);
      if (isCluster(redis)) redis.options.clusterRetryStrategy = retry;
      else redis.options.retryStrategy = redis.options.sentinelRetryStrategy = retry;
    }
    return store;
  }

  /** Finds which keys are this host's pool and refreshes its record unless fresh, in one round trip. */
  private async joinFleet(version: string | null, now: number, freshMs: number): Promise<void> {
    const [plainHost] = await Promise.all([
      this.layout.plainPool ? this.call(() => this.redis.get(PLAIN_HOST_KEY)) : null,
      this.script('register-host', [HOSTS_KEY], [this.host, hostPatch({ lastSeen: now, version }), freshMs]),
    ]).catch((err: unknown) => {
      this.redis.disconnect();
      throw err;
    });
    this.usePlainHost(plainHost);
  }

  /** Who holds the plain keys, and so which keys are this host's pool (derived from it). */
  private usePlainHost(plainHost: string | null): void {
    this.plainHost = plainHost;
    this.keys = this.layout.pool(this.host, plainHost);
  }

  async hosts(): Promise<HostRecord[]> {
    const all = await this.call(() => this.redis.hgetall(HOSTS_KEY));
    return Object.entries(all)
      .map(([host, raw]) => decodeHostRecord(host, raw))
      .sort((a, b) => a.host.localeCompare(b.host));
  }

  poolOf(host: string): RedisStore {
    if (host === this.host) return this;
    const client = this.parent ?? this;
    const keys = this.layout.pool(host, this.plainHost);
    return new RedisStore(this.redis, this.location, this.lockWaitMs, this.historyRetentionMs, host, keys, client);
  }

  private unavailable(err: unknown): StoreUnavailableError {
    // A call fails with "Connection is closed." while the cause (refused, a TLS certificate not
    // trusted) went to the 'error' event: name the cause.
    const cause = this.lastError && this.lastError !== err ? this.lastError : (err as Error);
    const reason = cause?.message || String(err);
    const certificate = /CERT|SIGNATURE|SELF_SIGNED|ERR_TLS/.test(String((cause as NodeJS.ErrnoException)?.code ?? ''));
    const advice = certificate
      ? "Trust the certificate's CA (NODE_EXTRA_CA_CERTS=/path/to/ca.pem) or fix the server's certificate"
      : isCluster(this.redis)
        ? 'Check that the nodes of a Redis Cluster (cluster-enabled yes) run there'
        : 'Check that redis-server is running there';
    return new StoreUnavailableError(
      `Cannot reach the GPU store at ${this.location} (${reason}). ${advice}, or choose another store with --store.`,
    );
  }

  /** Runs a Redis call, turning its failures into one clear line. */
  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof CanhazError) throw err;
      // Redis answered, with an error of its own (WRONGTYPE, NOPERM, OOM, a script error): it is reachable.
      if ((err as Error).name === 'ReplyError') {
        if (/^MOVED /.test((err as Error).message)) {
          throw new StoreUnavailableError(
            `The GPU store at ${this.location} is a node of a Redis Cluster: reach it as redis+cluster://host:port.`,
          );
        }
        throw new StoreUnavailableError(
          `The GPU store at ${this.location} answered: ${(err as Error).message.split('\n')[0]}`,
        );
      }
      throw this.unavailable(err);
    }
  }

  private script(name: ScriptName, keys: string[], args: Array<string | number>): Promise<ScriptReply> {
    defineOnce(this.redis, name);
    const command = (this.redis as unknown as Record<string, (...a: unknown[]) => Promise<ScriptReply>>)[name]!;
    return this.call(() => command.call(this.redis, keys.length, ...keys, ...args));
  }

  /**
   * A pool chosen while no host held the plain keys follows them once one claims them: a long-lived agent
   * or serve started before the first `admin` of the fleet would otherwise keep working on another host's
   * pool. Until a host claims them, each look asks again (one GET).
   */
  private async followPlainClaim(): Promise<void> {
    if (this.parent || this.plainHost !== null || !this.layout.plainPool || this.host === '') return;
    const plainHost = await this.call(() => this.redis.get(PLAIN_HOST_KEY));
    if (plainHost !== null) this.usePlainHost(plainHost);
  }

  private async poolSize(): Promise<number> {
    await this.followPlainClaim();
    this.knownCount = null;
    const raw = await this.call(() => this.redis.get(this.keys.gpuCount));
    if (raw === null) throw new PoolNotInitializedError();
    this.knownCount = this.checkedCount(raw);
    return this.knownCount;
  }

  /** A pool size as stored by any tool; junk, or more GPUs than a pool can have, is one clear line. */
  private checkedCount(raw: string | number | null | undefined): number {
    const text = String(raw ?? '').trim();
    if (!/^\d+$/.test(text) || Number(text) > MAX_POOL_SIZE) {
      throw new CanhazError(
        `${this.keys.gpuCount} holds ${JSON.stringify(String(raw).slice(0, 40))}, not a number of GPUs (0 to ${MAX_POOL_SIZE}). Run 'canhazgpu admin --gpus <count> --force' to repair it.`,
      );
    }
    return Number(text);
  }

  /**
   * Runs a script over every GPU key (after `leadingKeys`), in one round trip while the pool size is
   * known; when admin changed it meanwhile, the script says so and we run it again.
   */
  private async overPool(name: ScriptName, leadingKeys: string[], args: Array<string | number>): Promise<ScriptReply> {
    for (;;) {
      const count = this.knownCount ?? (await this.poolSize());
      const reply = await this.script(name, [this.keys.gpuCount, ...leadingKeys, ...this.gpuKeys(count)], args);
      if (reply[0] === 'resize') {
        this.knownCount = this.checkedCount(reply[1]);
      } else if (reply[0] === 'uninitialized') {
        await this.poolSize(); // throws the precise error: missing, or junk
        throw new PoolNotInitializedError();
      } else {
        return reply;
      }
    }
  }

  private async idsOverPool(name: ScriptName, args: Array<string | number>): Promise<number[]> {
    return (await this.overPool(name, [], args)).slice(1).map(Number);
  }

  private gpuKeys(count: number): string[] {
    return Array.from({ length: count }, (_, id) => this.keys.gpu(id));
  }

  async snapshot(): Promise<PoolSnapshot> {
    const gpuCount = await this.poolSize();
    const pipeline = this.redis.pipeline();
    for (const key of this.gpuKeys(gpuCount)) pipeline.get(key);
    pipeline.get(this.keys.key(POLICY_NAME));
    const replies = (await this.call(() => pipeline.exec())) ?? [];
    const [policyErr, policy] = replies.pop() ?? [null, null];
    const slots: GpuSlot[] = replies.map(([err, value], id) =>
      err
        ? { id, reservation: null, lastReleased: null, problem: `${this.keys.gpu(id)}: ${err.message.split('\n')[0]}` }
        : decodeSlot(id, value as string | null, this.keys),
    );
    return { gpuCount, slots, ...(!policyErr && isAllocationPolicy(policy) ? { policy } : {}) };
  }

  async setPolicy(policy: AllocationPolicy): Promise<void> {
    await this.poolSize(); // throws when the pool was never set up
    await this.call(() => this.redis.set(this.keys.key(POLICY_NAME), policy));
  }

  /** The history's retention in whole seconds, as the scripts take it. */
  private get retentionS(): number {
    return Math.ceil(this.historyRetentionMs / 1000);
  }

  async initialize(gpuCount: number, force: boolean, now = Date.now(), owner?: PoolOwner): Promise<InitializeResult> {
    // Every GPU key there is, also any beyond the recorded count, so a forced reset leaves none behind.
    const { prefix, tag } = this.keys;
    const keys = new Set<string>();
    const gpuKeyPattern = new RegExp(`^${prefix.replace(/[^\w:]/g, '\\$&')}gpu:\\d+$`);
    for (const key of await this.call(() => scanKeys(this.redis, `${prefix}gpu:*`))) {
      if (gpuKeyPattern.test(key)) keys.add(key);
    }
    const ownerJson = owner ? JSON.stringify(owner) : '';
    // A host of a fleet setting up the plain keys claims them (the key lives in the tagged pool's slot otherwise).
    const claimant = tag === null ? this.host : '';
    const [outcome, previous] = await this.script(
      'initialize',
      [this.keys.gpuCount, this.keys.poolOwner, claimant ? PLAIN_HOST_KEY : this.keys.key('pool_host'), ...keys],
      [gpuCount, force ? '1' : '0', ownerJson, Math.floor(now / 1000), this.retentionS, prefix, claimant],
    );
    if (outcome === 'moved') {
      // Another host claimed the plain keys since we looked: this host's pool is its tagged keys.
      this.usePlainHost(String(previous));
      return this.initialize(gpuCount, force, now, owner);
    }
    // A count that was junk counts as 0 GPUs cleared.
    const previousCount =
      previous === null || previous === undefined ? null : Number.parseInt(String(previous), 10) || 0;
    if (claimant) this.usePlainHost(claimant); // the plain keys, which this pool already is
    if (outcome === 'exists') throw new PoolAlreadyInitializedError(previousCount ?? 0);
    this.knownCount = gpuCount;
    return { previousCount };
  }

  async latestReading(host: string): Promise<GpuReading | null> {
    const raw = await this.call(() => this.redis.hmget(this.layout.reading(host), 'taken_at', 'usage'));
    const takenAt = raw[0] === null ? null : Number(raw[0]);
    return decodeReading(host, takenAt, raw[1]);
  }

  async saveReading(reading: GpuReading): Promise<void> {
    const key = this.layout.reading(reading.host);
    await this.call(() =>
      this.redis
        .multi()
        .hset(key, 'taken_at', String(reading.takenAt), 'usage', encodeUsage(reading.usage))
        .expire(key, READING_TTL_S)
        .del(this.layout.readingLock(reading.host))
        .exec(),
    );
    if (this.host === '') return; // not in a fleet
    const gpus = reading.usage?.length ?? null;
    const models = [...new Set((reading.usage ?? []).map((g) => g.name).filter((n): n is string => !!n))];
    const patch = hostPatch({ lastSeen: reading.takenAt, ...(reading.usage ? { gpus, models } : {}) });
    await this.script('register-host', [HOSTS_KEY], [reading.host, patch]);
  }

  async claimProbe(
    host: string,
    _now: number,
    holdMs: number,
    prober?: OwnerRef,
    replacing?: OwnerRef,
  ): Promise<boolean> {
    // Redis's own clock times the lock out: hosts' clocks need not agree.
    const ms = Math.max(1, Math.ceil(holdMs));
    const args = [prober ? encodeProber(prober) : '-', ms, replacing ? encodeProber(replacing) : ''];
    const [outcome] = await this.script('claim-probe', [this.layout.readingLock(host)], args);
    return outcome === 'claimed';
  }

  async proberOf(host: string): Promise<OwnerRef | null> {
    return decodeProber(await this.call(() => this.redis.get(this.layout.readingLock(host))));
  }

  async poolOwner(): Promise<PoolOwner | null> {
    const raw = await this.call(() => this.redis.get(this.keys.poolOwner));
    return raw === null ? null : decodePoolOwner(raw);
  }

  async allocate(req: AllocationRequest): Promise<number[]> {
    const started = Date.now();
    const deadline = started + this.lockWaitMs;
    for (let attempt = 1; ; attempt++) {
      // Time moves on while we wait for the lock: grant as of now, not as of the first try.
      const shift = Date.now() - started;
      const at = { ...req, now: req.now + shift, expiryTime: req.expiryTime === null ? null : req.expiryTime + shift };
      const reply = await this.overPool(
        req.queueSeen ? 'allocate-queued' : 'allocate',
        [this.keys.lock],
        [
          at.now / 1000,
          req.count,
          req.liveness.staleAfterMs / 1000,
          encodeReservation(newReservation(at)),
          JSON.stringify(req.inUse),
          JSON.stringify([...req.liveness.deadTokens]),
          JSON.stringify(req.only ?? null),
          JSON.stringify([...req.liveness.liveTokens]),
          JSON.stringify(req.listed ?? null),
          this.retentionS,
          req.policy === 'mru-per-user' ? req.user : '',
          req.exact ? '1' : '0',
          // allocate-queued.lua reads these two as its last arguments, whatever allocate.lua takes before them.
          ...(req.queueSeen ? [JSON.stringify(req.queueSeen), req.token] : []),
        ],
      );
      switch (reply[0]) {
        case 'ok':
          await this.queue.wake('allocate').catch(() => {}); // the agent's status board shows it at once
          return reply.slice(1).map(Number);
        case 'queue_changed':
          throw new QueueChangedError();
        case 'short':
          throw new NotEnoughGpusError(req.count, Number(reply[1]), Number(reply[2]), Number(reply[3]));
        case 'unavailable':
          throw new GpusUnavailableError(reply.slice(1).map(String));
        case 'locked':
          if (Date.now() > deadline)
            throw new CanhazError(`Failed to acquire allocation lock after ${attempt} attempts`);
          await sleep(Math.min(25 * 2 ** Math.min(attempt, 5), 500) * (0.5 + Math.random()));
          continue;
        default:
          throw new Error(`unexpected reply from allocate.lua: ${JSON.stringify(reply)}`);
      }
    }
  }

  heartbeat(token: string, now: number): Promise<number[]> {
    return this.idsOverPool('heartbeat', [token, Math.floor(now / 1000)]);
  }

  setOwner(token: string, owner: OwnerRef): Promise<number[]> {
    return this.idsOverPool('set-owner', [token, owner.host, owner.pid, owner.startTime ?? '']);
  }

  releaseToken(token: string, now: number, reason: EndReason = 'released'): Promise<number[]> {
    return this.wakingWaiters(
      this.idsOverPool('release-token', [token, Math.floor(now / 1000), reason, this.retentionS]),
    );
  }

  /** Tells the queue's waiters of GPUs released, so the head is granted at once. */
  private async wakingWaiters(released: Promise<number[]>): Promise<number[]> {
    const ids = await released;
    if (ids.length > 0) await this.queue.wake('release').catch(() => {}); // they look on their own timer anyway
    return ids;
  }

  releaseManual(user: string, now: number, liveness: Liveness, only?: readonly number[] | null): Promise<number[]> {
    return this.wakingWaiters(
      this.idsOverPool('release-manual', [
        ...userScope(user, now, liveness),
        this.retentionS,
        JSON.stringify(only ?? null),
      ]),
    );
  }

  async extendManual(user: string, now: number, liveness: Liveness, byMs: number): Promise<ExtendedGpu[]> {
    const reply = (await this.overPool('extend-manual', [], [...userScope(user, now, liveness), byMs / 1000])).slice(1);
    const extended: ExtendedGpu[] = [];
    for (let i = 0; i + 1 < reply.length; i += 2)
      extended.push({ id: Number(reply[i]), expiryTime: Number(reply[i + 1]) * 1000 });
    if (extended.length > 0) await this.queue.wake('extend').catch(() => {});
    return extended;
  }

  async history(from: number, to: number): Promise<HistoryRecord[]> {
    const raw = await this.call(() =>
      this.redis.zrangebyscore(this.keys.key(HISTORY_NAME), Math.floor(from / 1000), '+inf'),
    );
    return decodeHistory(raw).filter((r) => r.endTime >= from && r.startTime <= to);
  }

  async addUnreserved(uses: readonly UnreservedUse[], now: number): Promise<void> {
    if (uses.length === 0) return;
    const { keys, args } = addUnreservedCall((name) => this.keys.key(name), uses, now, this.retentionS);
    await this.script('add-unreserved', keys, args);
  }

  async unreserved(from: number, to: number): Promise<UnreservedUse[]> {
    return this.call(() => readUnreservedFrom(this.redis, (name) => this.keys.key(name), from, to));
  }

  async close(): Promise<void> {
    this.queue.close();
    if (this.parent) return;
    try {
      await this.redis.quit();
    } catch {
      // already gone
    }
    this.redis.disconnect(); // also ends any connection to a Sentinel
  }
}
