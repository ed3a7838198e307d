// vast.ai's offer search: the filters pushed down into its query, and offers as the server's instances.
import type { GpuInstance, InstanceFilters } from '../../domain/instances.js';

export const VASTAI = 'vast.ai';
/** Sent always: a third party saw searches capped at 64 without one (cloud-apis.md, vast "Not established"). */
export const SEARCH_LIMIT = 64;

/** An offer as `POST /api/v0/bundles/` returns it (cloud-apis.md vast 4), the fields we read. */
export interface VastOfferRow {
  id: number;
  gpu_name?: string;
  num_gpus?: number;
  /** MB per GPU. */
  gpu_ram?: number;
  /** $/h for the whole offer. */
  dph_total?: number;
  geolocation?: string | null;
  machine_id?: number;
  reliability2?: number;
}

/**
 * The search body: vast-cli's defaults sent explicitly (the server may not apply them, cloud-apis.md
 * vast 2 and "Not established"), the filters it can evaluate, cheapest first.
 */
export function searchBody(f: InstanceFilters = {}): Record<string, unknown> {
  const q: Record<string, unknown> = {
    verified: { eq: true },
    external: { eq: false },
    rentable: { eq: true },
    rented: { eq: false },
    type: 'on-demand',
    order: [['dph_total', 'asc']],
    limit: SEARCH_LIMIT,
  };
  // gpu_ram is MB per GPU: vast-cli multiplies GB by 1000 (cloud-apis.md vast 3).
  if (f.minVramGb) q.gpu_ram = { gte: f.minVramGb * 1000 };
  if (f.maxPricePerHour !== undefined) q.dph_total = { lte: f.maxPricePerHour };
  if (f.numGpus !== undefined) q.num_gpus = { eq: f.numGpus };
  // gpu_name is not pushed down: vast compares whole names (`RTX 4090`, cloud-apis.md vast 3), and a
  // partial one (`A100` for `A100 SXM4`) must still match; the server checks the model on what comes back.
  return q;
}

/** One instance = one offer with all its GPUs; gpu_ram MB per GPU shown in GB (vast's 1000). */
export function offerInstance(o: VastOfferRow): GpuInstance | null {
  if (typeof o.id !== 'number' || typeof o.dph_total !== 'number' || !Number.isFinite(o.dph_total)) return null;
  return {
    id: String(o.id),
    provider: VASTAI,
    status: 'available',
    pricePerHour: o.dph_total,
    vramGb: Math.round((o.gpu_ram ?? 0) / 100) / 10,
    gpuModel: o.gpu_name ?? 'unknown',
    numGpus: o.num_gpus ?? 1,
    location: o.geolocation ?? '',
    metadata: { offer_id: String(o.id), ...(o.machine_id !== undefined ? { machine_id: String(o.machine_id) } : {}) },
  };
}
