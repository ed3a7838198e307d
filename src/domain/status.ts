// One row per GPU, joining the pool's reservations with what the hardware shows.
import { activeReservation, lastReleased, type Liveness } from './liveness.js';
import type { GpuSlot, PoolSnapshot, Reservation } from './reservation.js';
import { isInUse, type GpuUsage } from './usage.js';

type GpuState =
  | { gpuId: number; state: 'available'; lastReleased: number | null; usage: GpuUsage | null }
  | { gpuId: number; state: 'reserved'; reservation: Reservation; usage: GpuUsage | null }
  | { gpuId: number; state: 'unreserved'; usage: GpuUsage }
  | { gpuId: number; state: 'unreadable'; problem: string; usage: GpuUsage | null };

export type StatusRow = GpuState & {
  /** The probe read the hardware and does not list this GPU: the pool is larger than the machine. */
  notFound: boolean;
};

export interface StatusInput {
  snapshot: PoolSnapshot;
  /** null when the probe could not read the hardware. */
  usage: readonly GpuUsage[] | null;
  now: number;
  liveness: Liveness;
  inUseThresholdMb: number;
}

export function buildStatus(input: StatusInput): StatusRow[] {
  const byIndex = new Map((input.usage ?? []).map((g) => [g.index, g]));
  return input.snapshot.slots.map((slot): StatusRow => {
    const usage = byIndex.get(slot.id) ?? null;
    return { ...stateOf(slot, usage, input), notFound: input.usage !== null && usage === null };
  });
}

function stateOf(slot: GpuSlot, usage: GpuUsage | null, input: StatusInput): GpuState {
  if (slot.problem) return { gpuId: slot.id, state: 'unreadable', problem: slot.problem, usage };
  const reservation = activeReservation(slot, input.now, input.liveness);
  if (reservation) return { gpuId: slot.id, state: 'reserved', reservation, usage };
  if (usage && isInUse(usage, input.inUseThresholdMb)) return { gpuId: slot.id, state: 'unreserved', usage };
  return { gpuId: slot.id, state: 'available', lastReleased: lastReleased(slot, input.now, input.liveness), usage };
}

/** Distinct owners of a GPU's processes, in order of appearance. */
export function processUsers(usage: GpuUsage): string[] {
  return [...new Set(usage.processes.map((p) => p.user ?? 'unknown'))];
}
