// The live dashboard's data: every GPU of the pool with the model it serves, the wait queue, GPU-hours
// per user, and the reservations made through the server, as the page's JSON, read once a second at most
// however many tabs are open.
import type { reportJson } from '../../domain/report-text.js';
import type { StatusRow } from '../../domain/status.js';
import { statusJson } from '../../domain/status-text.js';
import { firstModel } from '../../domain/usage.js';
import type { HostStatus } from '../../pool/fleet-service.js';
import type { CloudRecords, UserRecords } from '../records/ports.js';
import type { GpuService } from '../service/gpu-service.js';
import { type DashboardReservation, dashboardReservations } from './dashboard-cloud.js';

/** How long one reading of the dashboard's data serves every open tab. */
const DASHBOARD_MAX_AGE_MS = 1000;
/** GPU-hours change slowly and read the whole history: read again every half minute at most. */
const USAGE_MAX_AGE_MS = 30_000;
/** The windows of the GPU-hours chart, in days. */
export const USAGE_WINDOWS = [7, 30] as const;

/** A waiter as `canhazgpu queue --json` lists it (`waiting[]`): the fields the page shows. */
export interface DashboardQueueRow {
  position: number;
  user: string;
  gpus: number;
  gpu_ids: number[] | null;
  type: 'run' | 'manual';
  note: string | null;
  waited_seconds: number;
  /** ISO 8601; null when the expiries of what it waits on do not tell. */
  estimated_start: string | null;
}

export interface DashboardUsage {
  days: number;
  total_gpu_hours: number;
  users: Array<{ user: string; gpu_hours: number }>;
}

export interface DashboardData {
  generated_at: number;
  strategy: string;
  /** `status --json`'s rows, with `model` (as `status --table` finds it) and, in a fleet, `host`. */
  gpus: unknown[];
  queue: DashboardQueueRow[];
  usage: DashboardUsage[];
  reservations: DashboardReservation[];
  total_price_per_hour: number;
}

export interface DashboardSources {
  poolRows(): Promise<StatusRow[]>;
  /** A fleet's hosts: every host's GPUs instead of this host's alone, each with its host. */
  hosts?: (() => Promise<HostStatus[]>) | null;
  /** The wait queue in order; absent: none is kept (the page says nobody waits). */
  queue?: (() => Promise<DashboardQueueRow[]>) | null;
  /** GPU-hours per user over the last `days` days, as `report --json`. */
  report(days: number): Promise<ReturnType<typeof reportJson>>;
  service: GpuService;
  users: Pick<UserRecords, 'userById'> & Pick<CloudRecords, 'cloudReservations'>;
  now(): number;
}

export function dashboardData(s: DashboardSources): () => Promise<DashboardData> {
  const usage = cachedFor(USAGE_MAX_AGE_MS, s.now, () =>
    Promise.all(USAGE_WINDOWS.map(async (days) => usageOf(await s.report(days)))),
  );
  return cachedFor(DASHBOARD_MAX_AGE_MS, s.now, async () => {
    const t = s.now();
    const gpus = s.hosts ? fleetGpus(await s.hosts()) : (await s.poolRows()).map((r) => gpuJson(r, t));
    const active = await s.service.reconcile();
    const reservations = await dashboardReservations(active, s.users, t);
    return {
      generated_at: Math.floor(t / 1000),
      strategy: s.service.strategy,
      gpus,
      queue: s.queue ? await s.queue() : [],
      usage: await usage(),
      reservations,
      total_price_per_hour: reservations
        .filter((r) => r.state === 'running')
        .reduce((sum, r) => sum + r.price_per_hour, 0),
    };
  });
}

/** A GPU's `status --json` row and the model its processes serve. */
function gpuJson(row: StatusRow, now: number) {
  return { ...statusJson(row, now), model: firstModel(row.usage ?? undefined) };
}

function usageOf(report: ReturnType<typeof reportJson>): DashboardUsage {
  return {
    days: report.days,
    total_gpu_hours: report.total_gpu_hours,
    users: report.users.map((u) => ({ user: u.user, gpu_hours: u.gpu_hours })),
  };
}

/** Every host's GPUs, host by host; a free GPU of a host nobody reads is `stale`, not available. */
function fleetGpus(hosts: HostStatus[]): unknown[] {
  return hosts.flatMap((h) =>
    (h.rows ?? []).map((r) => ({
      ...gpuJson(r, h.now),
      host: h.host,
      ...(h.stale && r.state === 'available' ? { status: 'stale' } : {}),
    })),
  );
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
