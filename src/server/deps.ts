// Everything the server's transports share, wired once by `canhazgpu serve` (or a test).
import type { OwnerState } from '../domain/liveness.js';
import type { Clock, GpuProbe, Store } from '../domain/ports.js';
import type { OwnerRef } from '../domain/reservation.js';
import type { StatusRow } from '../domain/status.js';
import { statusJson } from '../domain/status-text.js';
import { LocalProvider } from '../providers/local/local-provider.js';
import { PoolService } from '../pool/pool-service.js';
import type { Provider } from '../providers/provider.js';
import type { ApiKey, Records, User } from './records/ports.js';
import { hashApiKey, newApiKey } from './auth.js';
import { GpuService, type ProviderTimeouts } from './service/gpu-service.js';
import { Identity, RateLimiter } from './identity.js';
import { MAX_KEY_NAME_LENGTH } from './request-limits.js';
import { ApiError, STORE_UNAVAILABLE } from './errors.js';
import { allowedHostMatcher } from './http/allowed-hosts.js';
import type { NetworkLimits } from './limits.js';
import { jsonLine, printable } from './log.js';
import { watchedStore } from './store-watch.js';
import { Metrics } from './metrics.js';
import { reservationJson } from './http/json.js';

export interface ServerOptions {
  store: Store;
  probe: GpuProbe;
  accounts: Records;
  clock: Clock;
  ownerState: (owner: OwnerRef) => OwnerState;
  staleAfterMs: number;
  inUseThresholdMb: number;
  /** Requests per second per key; 0 turns the limit off. */
  rateLimit: number;
  logFormat: 'text' | 'json';
  logLine?: (line: string) => void;
  /** Providers beside the local pool (marketplaces; scripted ones in tests). */
  extraProviders?: Provider[];
  /** How long requests in flight may take to finish once a shutdown begins (default 5 s). */
  shutdownGraceMs?: number;
  /** How long providers may take (tests shorten them). */
  providerTimeouts?: ProviderTimeouts;
  /** Serve the dashboard's data without credentials (default: yes; startServer says no beyond loopback). */
  openDashboard?: boolean;
  /** Connections, timeouts and memory per client (tests shorten the timeouts). */
  limits?: Partial<NetworkLimits>;
  /** Host names HTTP answers besides the loopback ones (against DNS rebinding). */
  allowedHosts?: string[];
  /** Check the Host header (startServer: on loopback listeners, or when allowedHosts are given). */
  checkHost?: boolean;
  /** PEM certificate and key: HTTPS and gRPC over TLS. */
  tls?: { cert: string | Buffer; key: string | Buffer };
}

/** Live API keys one user may hold: more keys would multiply the per-key rate limit. */
export const MAX_LIVE_KEYS_PER_USER = 20;
/** Keys a user may make per second (twice that in a burst). */
const KEYS_PER_SECOND = 1;
/** How long one reading of the dashboard's data serves every open tab. */
const DASHBOARD_MAX_AGE_MS = 1000;

export interface DashboardData {
  generated_at: number;
  strategy: string;
  gpus: unknown[];
  reservations: Array<{
    contract_id: string;
    provider: string;
    user: string;
    gpu_model: string;
    price_per_hour: number;
    created_at: number;
    expires_at: number;
    cost_so_far: number;
  }>;
  total_price_per_hour: number;
}

/** What the request log says of one HTTP request. */
export interface RequestLogEntry {
  time: string;
  method: string;
  path: string;
  status: number;
  ms: number;
}

export interface ServerDeps {
  service: GpuService;
  identity: Identity;
  limiter: RateLimiter;
  /** Whether the HTTP listener is on loopback: the dashboard's data is open to anonymous readers only then. */
  openDashboard: boolean;
  accounts: Records;
  clock: Clock;
  metrics: Metrics;
  log: {
    error(err: unknown): void;
    warn(text: string): void;
    line(text: string): void;
    /** One line per HTTP request (the middleware in http/observe.ts times it). */
    request(entry: RequestLogEntry): void;
  };
  /** Whether an HTTP request's Host header may be answered; null: any. */
  hostAllowed: ((host: string | undefined) => boolean) | null;
  /** Null when the pool's store and the accounts answer, else one sentence saying which does not. */
  notReady(): Promise<string | null>;
  poolStatus(): Promise<Array<Record<string, unknown>>>;
  dashboard(): Promise<DashboardData>;
  createApiKey(user: User, name: string): Promise<{ key: string; record: ApiKey }>;
}

/** What /ready says when the accounts cannot be read. */
export const ACCOUNTS_UNAVAILABLE = "the server's accounts cannot be read; try again shortly";

export function buildDeps(o: ServerOptions): ServerDeps {
  const now = () => o.clock.now();
  const write = o.logLine ?? ((line: string) => process.stdout.write(`${line}\n`));
  const json = o.logFormat === 'json';
  const time = () => new Date(now()).toISOString();
  const store = watchedStore(o.store, {
    down: (cause) =>
      write(
        json
          ? jsonLine({ time: time(), level: 'error', event: 'store_unavailable', error: cause })
          : `${time()} store unavailable: ${printable(cause)}`,
      ),
    up: () =>
      write(
        json ? jsonLine({ time: time(), level: 'info', event: 'store_available' }) : `${time()} store available again`,
      ),
  });
  const localPrice = () => Number(o.accounts.setting('local_price_per_gpu_hour') ?? '0') || 0;
  const pool = new PoolService({
    store,
    probe: o.probe,
    clock: o.clock,
    owners: { state: o.ownerState },
    staleAfterMs: o.staleAfterMs,
    inUseThresholdMb: o.inUseThresholdMb,
  });
  const local = new LocalProvider({ pool, clock: o.clock, pricePerGpuHour: localPrice });
  const service = new GpuService(o.accounts, [local, ...(o.extraProviders ?? [])], o.clock, o.providerTimeouts);
  const keyLimiter = new RateLimiter(KEYS_PER_SECOND, now);

  const poolRows = async (): Promise<StatusRow[]> => (await pool.status()).rows;
  const metrics = new Metrics(async () => {
    const rows = await poolRows();
    return {
      rows,
      reservationsByUser: countBy(rows.flatMap((r) => (r.state === 'reserved' ? [r.reservation.user] : []))),
    };
  });

  return {
    service,
    identity: new Identity(o.accounts, now),
    limiter: new RateLimiter(o.rateLimit, now),
    openDashboard: o.openDashboard ?? true,
    accounts: o.accounts,
    clock: o.clock,
    metrics,
    log: {
      error: (err) => {
        const text = String((err as Error)?.stack ?? err);
        write(json ? jsonLine({ time: time(), level: 'error', error: text }) : `error: ${printable(text)}`);
      },
      warn: (text) =>
        write(json ? jsonLine({ time: time(), level: 'warning', message: text }) : `warning: ${printable(text)}`),
      line: write,
      request: (entry) => {
        const { time: at, method, path, status } = entry;
        write(json ? jsonLine(entry) : `${at} ${printable(method)} ${printable(path)} ${status} ${entry.ms}ms`);
      },
    },
    hostAllowed: o.checkHost ? allowedHostMatcher(o.allowedHosts ?? []) : null,
    notReady: async () => {
      try {
        await store.snapshot();
      } catch {
        return STORE_UNAVAILABLE;
      }
      try {
        await o.accounts.userById(''); // a read that reaches the database (settings are cached)
      } catch {
        return ACCOUNTS_UNAVAILABLE;
      }
      return null;
    },
    poolStatus: async () => {
      const t = now();
      return (await poolRows()).map((r) => statusJson(r, t));
    },
    dashboard: cachedFor(DASHBOARD_MAX_AGE_MS, now, async () => {
      const t = now();
      const rows = await poolRows();
      const active = await service.reconcile();
      const users = new Map<string, string>();
      for (const id of new Set(active.map((r) => r.userId))) users.set(id, (await o.accounts.userById(id))?.name ?? id);
      const reservations = active.map((r) => ({
        ...reservationJson(r, t),
        user: users.get(r.userId)!,
        gpu_model: r.instance.gpuModel,
      }));
      return {
        generated_at: Math.floor(t / 1000),
        strategy: service.strategy,
        gpus: rows.map((r) => statusJson(r, t)),
        reservations,
        total_price_per_hour: reservations.reduce((sum, r) => sum + r.price_per_hour, 0),
      };
    }),
    createApiKey: async (user, name) => {
      if (!name || name.length > MAX_KEY_NAME_LENGTH)
        throw new ApiError('INVALID_ARGUMENT', `name must be 1 to ${MAX_KEY_NAME_LENGTH} characters`);
      keyLimiter.take(`user:${user.id}`);
      const live = (await o.accounts.listApiKeys(user.id)).filter((k) => k.revokedAt === null);
      if (live.length >= MAX_LIVE_KEYS_PER_USER) {
        throw new ApiError(
          'RESOURCE_EXHAUSTED',
          `you already hold ${MAX_LIVE_KEYS_PER_USER} live API keys; revoke one (canhazgpu apikey revoke) first`,
        );
      }
      const key = newApiKey();
      return { key, record: await o.accounts.addApiKey(user.id, name, hashApiKey(key), now()) };
    },
  };
}

/** `fn`'s result, reused for `maxAgeMs`; callers in between share one call in flight. */
function cachedFor<T>(maxAgeMs: number, now: () => number, fn: () => Promise<T>): () => Promise<T> {
  let last: { at: number; value: Promise<T> } | null = null;
  return () => {
    if (last && now() - last.at < maxAgeMs) return last.value;
    const entry = { at: now(), value: fn() };
    last = entry;
    entry.value.catch(() => {
      if (last === entry) last = null;
    });
    return entry.value;
  };
}

function countBy(values: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return m;
}
