// The live dashboard's data: every GPU of the pool and every active reservation, as the page's JSON,
// read once a second at most however many tabs are open.
import type { StatusRow } from '../../domain/status.js';
import type { HostStatus } from '../../pool/fleet-service.js';
import { statusJson } from '../../domain/status-text.js';
import type { UserRecords } from '../records/ports.js';
import type { GpuService } from '../service/gpu-service.js';
import { reservationJson } from './json.js';

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

export interface DashboardSources {
  poolRows(): Promise<StatusRow[]>;
  /** A fleet's hosts: every host's GPUs instead of this host's alone, each with its host. */
  hosts?: (() => Promise<HostStatus[]>) | null;
  service: GpuService;
  users: Pick<UserRecords, 'userById'>;
  now(): number;
}

export function dashboardData(s: DashboardSources): () => Promise<DashboardData> {
  return cachedFor(DASHBOARD_MAX_AGE_MS, s.now, async () => {
    const t = s.now();
    const gpus = s.hosts ? fleetGpus(await s.hosts()) : (await s.poolRows()).map((r) => statusJson(r, t));
    const active = await s.service.reconcile();
    const users = new Map<string, string>();
    for (const id of new Set(active.map((r) => r.userId))) users.set(id, (await s.users.userById(id))?.name ?? id);
    const reservations = active.map((r) => ({
      ...reservationJson(r, t),
      user: users.get(r.userId)!,
      gpu_model: r.instance.gpuModel,
    }));
    return {
      generated_at: Math.floor(t / 1000),
      strategy: s.service.strategy,
      gpus,
      reservations,
      total_price_per_hour: reservations.reduce((sum, r) => sum + r.price_per_hour, 0),
    };
  });
}

/** Every host's GPUs, host by host; a free GPU of a host nobody reads is `stale`, not available. */
function fleetGpus(hosts: HostStatus[]): unknown[] {
  return hosts.flatMap((h) =>
    (h.rows ?? []).map((r) => ({
      ...statusJson(r, h.now),
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
