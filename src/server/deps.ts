// Everything the server's transports share, wired once by `canhazgpu serve` (or a test).
import { type QueueJson, queueJson, readQueue } from '../pool/queue-view.js';
import type { OwnerState } from '../domain/liveness.js';
import type { Clock, GpuProbe, Store } from '../domain/ports.js';
import { reportJson } from '../domain/report-text.js';
import type { OwnerRef } from '../domain/reservation.js';
import type { StatusRow } from '../domain/status.js';
import { statusJson } from '../domain/status-text.js';
import { PoolService } from '../pool/pool-service.js';
import type { Provider } from '../providers/provider.js';
import type { Records } from './records/ports.js';
import { GpuService, type CloudMoney, type ProviderTimeouts } from './service/gpu-service.js';
import { localPools } from './local-pools.js';
import { Identity, RateLimiter } from './identity.js';
import { STORE_UNAVAILABLE } from './errors.js';
import { type CreateApiKey, keyPolicy } from './key-policy.js';
import { serverLog, type ServerLog } from './server-log.js';
import { type DashboardData, dashboardData } from './http/dashboard-data.js';
import { allowedHostMatcher } from './http/allowed-hosts.js';
import type { NetworkLimits } from './limits.js';
import { watchedStore } from './store-watch.js';
import { Metrics } from './metrics.js';

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
  /** Reservation hours and the marketplaces' spending caps per user (default: 8 h, at most 720, no caps). */
  cloudMoney?: CloudMoney;
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

export interface ServerDeps {
  service: GpuService;
  identity: Identity;
  limiter: RateLimiter;
  /** Whether the HTTP listener is on loopback: the dashboard's data is open to anonymous readers only then. */
  openDashboard: boolean;
  accounts: Records;
  clock: Clock;
  metrics: Metrics;
  log: ServerLog;
  /** Whether an HTTP request's Host header may be answered; null: any. */
  hostAllowed: ((host: string | undefined) => boolean) | null;
  /** Null when the pool's store and the accounts answer, else one sentence saying which does not. */
  notReady(): Promise<string | null>;
  poolStatus(): Promise<Array<Record<string, unknown>>>;
  /** The wait queue, as `canhazgpu queue --json`. */
  poolQueue(): Promise<QueueJson>;
  /** GPU-hours per user over the last `days` days, as `report --json` prints it. */
  poolReport(days: number): Promise<ReturnType<typeof reportJson>>;
  dashboard(): Promise<DashboardData>;
  createApiKey: CreateApiKey;
}

/** What /ready says when the accounts cannot be read. */
export const ACCOUNTS_UNAVAILABLE = "the server's accounts cannot be read; try again shortly";

export function buildDeps(o: ServerOptions): ServerDeps {
  const now = () => o.clock.now();
  const log = serverLog(o.logLine ?? ((line: string) => process.stdout.write(`${line}\n`)), o.logFormat, now);
  const store = watchedStore(o.store, { down: log.storeDown, up: log.storeUp });
  const localPrice = () => Number(o.accounts.setting('local_price_per_gpu_hour') ?? '0') || 0;
  const pool = new PoolService({
    store,
    probe: o.probe,
    clock: o.clock,
    owners: { state: o.ownerState },
    staleAfterMs: o.staleAfterMs,
    inUseThresholdMb: o.inUseThresholdMb,
  });
  const { provider: local, hosts } = localPools({
    store: o.store,
    pool,
    clock: o.clock,
    pricePerGpuHour: localPrice,
    poolOptions: {
      owners: { state: o.ownerState },
      staleAfterMs: o.staleAfterMs,
      inUseThresholdMb: o.inUseThresholdMb,
    },
  });
  const providers = [local, ...(o.extraProviders ?? [])];
  const service = new GpuService(o.accounts, providers, o.clock, o.providerTimeouts, o.cloudMoney);
  const poolRows = async (): Promise<StatusRow[]> => (await pool.status()).rows;
  const poolReport = async (days: number) => reportJson(await pool.report(days));
  const poolQueue = async (): Promise<QueueJson> => queueJson(await readQueue(pool));
  const metrics = new Metrics(async () => {
    const rows = await poolRows();
    const holders = rows.flatMap((r) => (r.state === 'reserved' ? [r.reservation.user] : []));
    return { rows, reservationsByUser: countBy(holders) };
  });

  return {
    service,
    identity: new Identity(o.accounts, now),
    limiter: new RateLimiter(o.rateLimit, now),
    openDashboard: o.openDashboard ?? true,
    accounts: o.accounts,
    clock: o.clock,
    metrics,
    log,
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
    poolQueue,
    poolReport,
    dashboard: dashboardData({
      poolRows,
      hosts,
      queue: async () => (await poolQueue()).waiting,
      report: poolReport,
      service,
      users: o.accounts,
      now,
    }),
    createApiKey: keyPolicy(o.accounts, now),
  };
}

function countBy(values: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return m;
}
