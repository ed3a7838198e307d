// An offer taken between search and create is replaced by the next-best one like it.
import { gpuNameKey, matchesFilters, type GpuInstance, type InstanceFilters } from '../../domain/instances.js';

/** Offers tried after the chosen one was taken. */
export const MAX_RETAKES = 3;

/**
 * How much dearer a replacement for a taken offer may be: the next-best is rarely as cheap, and the
 * provider does not know the request's max_price (the server keeps the chosen offer's price).
 */
export const REPLACEMENT_PREMIUM = 1.1;

/** The filters a replacement for a taken offer must meet: the same machine type, at most 10% dearer. */
export function replacementFilters(taken: GpuInstance): InstanceFilters {
  const maxPricePerHour = Math.round(taken.pricePerHour * REPLACEMENT_PREMIUM * 1e4) / 1e4;
  return { gpuModel: taken.gpuModel, numGpus: taken.numGpus, minVramGb: Math.floor(taken.vramGb), maxPricePerHour };
}

/** Whether `offer` may replace `taken`: the same GPU model (whole name), count, VRAM, at most 10% dearer. */
export function replaces(offer: GpuInstance, taken: GpuInstance): boolean {
  return gpuNameKey(offer.gpuModel) === gpuNameKey(taken.gpuModel) && matchesFilters(offer, replacementFilters(taken));
}
