// A GPU reading as both stores keep it: JSON of the probe's usage (null when it could not read).
import type { GpuReading } from '../domain/ports.js';
import type { GpuUsage } from '../domain/usage.js';

export const encodeUsage = (usage: GpuReading['usage']): string => JSON.stringify(usage);

const isUsage = (g: unknown): g is GpuUsage => {
  const v = g as Partial<GpuUsage> | null;
  return !!v && Number.isInteger(v.index) && Array.isArray(v.processes);
};

/** A saved reading; one edited into nonsense (every local user may write the store) counts as none. */
export function decodeReading(host: string, takenAt: unknown, json: unknown): GpuReading | null {
  if (typeof takenAt !== 'number' || !Number.isFinite(takenAt) || typeof json !== 'string') return null;
  try {
    const usage = JSON.parse(json) as unknown;
    if (usage === null) return { host, takenAt, usage: null };
    if (Array.isArray(usage) && usage.every(isUsage)) return { host, takenAt, usage };
  } catch {
    // fall through
  }
  return null;
}
