// io.net's VMaaS hardware list as the server's instances: one (hardware, location, GPUs per VM).
import type { GpuInstance, InstanceFilters } from '../../domain/instances.js';

export const IONET = 'io.net';

/** An item of `GET vmaas/hardware` (cloud-apis.md io.net 3), the fields we read. */
export interface IonetHardwareRow {
  id?: string | number;
  /** "Hardware ID used for price request and deploy". */
  deploy_id?: string | number;
  name?: string;
  num_cards?: number;
  /** "Price per hour in USD" for the item's cards (the docs' example: 0.6 for 2, 0.3 for 1). */
  price?: number;
  /** Per GPU, when an answer carries it instead. */
  price_per_gpu_hour?: number;
  /** GB per card. */
  vram_per_card?: number;
  location?: string | { id?: string | number; iso2?: string; name?: string };
  sold_out?: boolean;
}

/** Query parameters io.net can filter by (cloud-apis.md io.net 3): GPU name text and GB per card. */
export function hardwareQuery(f: InstanceFilters = {}): Record<string, string> {
  const q: Record<string, string> = {};
  if (f.gpuModel) q.gpu = f.gpuModel.replace(/_/g, ' ');
  if (f.minVramGb) q.gpu_memory_min = String(f.minVramGb);
  return q;
}

export function hardwareInstance(h: IonetHardwareRow): GpuInstance | null {
  const hardwareId = h.deploy_id ?? h.id;
  const gpus = h.num_cards ?? 1;
  const price = typeof h.price_per_gpu_hour === 'number' ? h.price_per_gpu_hour * gpus : h.price;
  const loc = typeof h.location === 'object' && h.location ? h.location : { id: h.location, name: h.location };
  const locationId = loc.id ?? loc.iso2;
  if (hardwareId === undefined || locationId === undefined || typeof price !== 'number') return null;
  if (h.sold_out === true) return null;
  return {
    id: `${hardwareId}@${locationId}x${gpus}`,
    provider: IONET,
    status: 'available',
    pricePerHour: price,
    vramGb: h.vram_per_card ?? 0,
    gpuModel: h.name ?? 'unknown',
    numGpus: gpus,
    location: String(loc.name ?? locationId),
    metadata: { hardware_id: String(hardwareId), location_id: String(locationId), gpus_per_vm: String(gpus) },
  };
}

/** deploy wants hardware_id and location_ids as int or string (cloud-apis.md io.net 5): keep numbers numeric. */
export const idValue = (text: string): string | number => (/^\d+$/.test(text) ? Number(text) : text);
