// The HTTP API's snake_case JSON of the service's values (schemas.ts describes the same shapes), and
// the filters of a query or body for the service.
import { costBetween, type GpuInstance, type InstanceFilters } from '../../domain/instances.js';
import type { ApiError } from '../errors.js';
import type { ServerReservation, Transaction } from '../records/ports.js';
import type { CreationError, LoadInfo } from '../service/gpu-service.js';

export interface InstanceJson {
  id: string;
  provider: string;
  status: string;
  price_per_hour: number;
  vram_gb: number;
  gpu_model: string;
  num_gpus: number;
  location: string;
  metadata: Record<string, string>;
}

export function instanceJson(i: GpuInstance): InstanceJson {
  return {
    id: i.id,
    provider: i.provider,
    status: i.status,
    price_per_hour: i.pricePerHour,
    vram_gb: i.vramGb,
    gpu_model: i.gpuModel,
    num_gpus: i.numGpus,
    location: i.location,
    metadata: i.metadata,
  };
}

/** What the reservations list and the dashboard both show of a server reservation, as of `now`. */
export function reservationJson(r: ServerReservation, now: number) {
  return {
    contract_id: r.contractId,
    provider: r.provider,
    price_per_hour: r.pricePerHour,
    created_at: Math.floor(r.createdAt / 1000),
    expires_at: Math.floor(r.expiresAt / 1000),
    cost_so_far: costBetween(r.pricePerHour, r.createdAt, Math.min(now, r.expiresAt)),
  };
}

/** A creation that failed within a reservation request. */
export const creationErrorJson = (e: CreationError) => ({
  instance_id: e.instanceId,
  provider: e.provider,
  error: e.error,
});

/** An error's body: its sentence, and its details (a partial failure's creations in snake_case). */
export function errorJson(err: ApiError): Record<string, unknown> {
  const { errors, ...details } = err.details as { errors?: CreationError[] };
  return { error: err.message, ...details, ...(errors ? { errors: errors.map(creationErrorJson) } : {}) };
}

export const loadJson = (l: LoadInfo) => ({
  instance_id: l.instanceId,
  provider: l.provider,
  connections: l.connections,
  avg_response_time_ms: l.avgResponseTimeMs,
  load_score: l.loadScore,
});

/** A ledger entry; its time in Unix seconds. */
export const transactionJson = (t: Transaction) => ({
  id: t.id,
  type: t.type,
  amount: t.amount,
  currency: t.currency,
  timestamp: Math.floor(t.timestamp / 1000),
  status: t.status,
  description: t.description,
});

interface FiltersJson {
  provider?: string | undefined;
  min_vram?: number | undefined;
  max_price?: number | undefined;
  gpu_model?: string | undefined;
  location?: string | undefined;
  num_gpus?: number | undefined;
}

/** The service's filters; `num_gpus` (GPUs per instance) is 1 unless asked for. */
export function filtersFrom(q: FiltersJson): InstanceFilters {
  return {
    numGpus: q.num_gpus ?? 1,
    ...(q.provider ? { provider: q.provider } : {}),
    ...(q.min_vram !== undefined ? { minVramGb: q.min_vram } : {}),
    ...(q.max_price !== undefined ? { maxPricePerHour: q.max_price } : {}),
    ...(q.gpu_model ? { gpuModel: q.gpu_model } : {}),
    ...(q.location ? { location: q.location } : {}),
  };
}
