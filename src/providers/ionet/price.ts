// io.net's price quote for one VM: io.net is prepaid, so the server charges what `vmaas/price` quotes
// for the hours it deploys, and deploys nothing whose quote strays from the listing or the request's max_price.
import type { GpuInstance } from '../../domain/instances.js';
import { idValue } from './hardware.js';

/** How far (relative) a quote may be from the listed price: fees and rounding, not another machine. */
export const QUOTE_TOLERANCE = 0.05;

/** Quotes asked at once per provider: ahead of the deploys (4 at once), so a big request is not held up. */
export const QUOTES_AT_ONCE = 8;

/** Whole hours deployed (VMaasDeployRequest: 0 < duration_hours ≤ 8760, cloud-apis.md io.net 5; price: ≥ 1, io.net 4). */
export const deployHours = (durationMs: number): number =>
  Math.min(8760, Math.max(1, Math.ceil(durationMs / 3_600_000)));

/**
 * The query of `GET vmaas/price` (cloud-apis.md io.net 4): all required; `location_ids` a JSON array
 * (URL-encoded by the client), `currency` usdc (we read `total_cost_usdc`), one VM (`replica_count` 1, as deployed).
 */
export function quoteQuery(offer: GpuInstance, hours: number): Record<string, string> {
  return {
    location_ids: JSON.stringify([idValue(offer.metadata['location_id'] ?? '')]),
    hardware_id: offer.metadata['hardware_id'] ?? '',
    currency: 'usdc',
    duration_hours: String(hours),
    gpus_per_vm: offer.metadata['gpus_per_vm'] ?? String(offer.numGpus),
    replica_count: '1',
  };
}

export type Quote =
  /** $/h for the whole VM: `total_cost_usdc` (`total`) over the hours quoted. */
  | { pricePerHour: number; total: number }
  /** Nothing to deploy: none left (`available_replica_count` all 0), or a price out of bounds. */
  | { refused: string };

/**
 * Reads `{"data": {"total_cost_usdc", "available_replica_count": [int], …}}` (cloud-apis.md io.net 4)
 * against the listed price and the request's max_price; null when the answer has no usable total.
 */
export function readQuote(
  data: Record<string, unknown> | undefined,
  hours: number,
  offer: GpuInstance,
  maxPricePerHour?: number,
): Quote | null {
  const total = data?.['total_cost_usdc'];
  if (typeof total !== 'number' || !Number.isFinite(total) || total < 0) return null;
  const left = data?.['available_replica_count'];
  // Its meaning per location is not spelled out: only an answer of nothing but zeros says "none left".
  if (Array.isArray(left) && left.length > 0 && left.every((n) => n === 0)) return { refused: 'none left' };
  const pricePerHour = Math.round((total / hours) * 1e6) / 1e6;
  const listed = offer.pricePerHour;
  if (Math.abs(pricePerHour - listed) > listed * QUOTE_TOLERANCE + 1e-9) {
    return { refused: `quoted $${pricePerHour}/h, listed $${listed}/h` };
  }
  if (maxPricePerHour !== undefined && pricePerHour > maxPricePerHour) {
    return { refused: `quoted $${pricePerHour}/h, above max_price $${maxPricePerHour}/h` };
  }
  return { pricePerHour, total };
}
