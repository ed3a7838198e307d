// GPU instances as the server offers them: this host's free GPUs and, later, marketplace offers.

export interface GpuInstance {
  id: string;
  provider: string;
  status: string;
  pricePerHour: number;
  vramGb: number;
  gpuModel: string;
  numGpus: number;
  location: string;
  metadata: Record<string, string>;
}

export interface InstanceFilters {
  minVramGb?: number;
  maxPricePerHour?: number;
  provider?: string;
  gpuModel?: string;
  location?: string;
  /** GPUs per instance (multi-GPU machines); undefined: any. */
  numGpus?: number;
}

/** The provider a filter names; '' and the GPU proxy specification's "all" name none. */
export function namedProvider(f: InstanceFilters): string | undefined {
  return f.provider && f.provider !== 'all' ? f.provider : undefined;
}

/** A GPU name as marketplaces compare them: `RTX_4090` = `rtx 4090`. */
export const gpuNameKey = (name: string): string =>
  name
    .toLowerCase()
    .replace(/[_\s]+/g, ' ')
    .trim();

/** Case-, space- and `_`-insensitive substring match for model and location; exact for provider; bounds inclusive. */
export function matchesFilters(i: GpuInstance, f: InstanceFilters): boolean {
  const contains = (haystack: string, needle: string | undefined) =>
    !needle || gpuNameKey(haystack).includes(gpuNameKey(needle));
  return (
    (namedProvider(f) === undefined || i.provider === f.provider) &&
    (f.minVramGb === undefined || i.vramGb >= f.minVramGb) &&
    (f.maxPricePerHour === undefined || i.pricePerHour <= f.maxPricePerHour) &&
    (f.numGpus === undefined || i.numGpus === f.numGpus) &&
    contains(i.gpuModel, f.gpuModel) &&
    contains(i.location, f.location)
  );
}

/** The four horizons of the GPU proxy specification's cost estimate. */
export function costEstimate(pricePerHour: number) {
  const round = (x: number) => Math.round(x * 10_000) / 10_000;
  return {
    hourly: round(pricePerHour),
    daily: round(pricePerHour * 24),
    weekly: round(pricePerHour * 168),
    monthly: round(pricePerHour * 720),
  };
}

/** What a reservation has cost from `from` to `to` (Unix ms) at `pricePerHour`, to a millionth of a dollar. */
export function costBetween(pricePerHour: number, from: number, to: number): number {
  const hours = Math.max(0, to - from) / 3_600_000;
  return Math.round(pricePerHour * hours * 1e6) / 1e6;
}
