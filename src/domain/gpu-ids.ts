// `--gpu-ids 1,3`: parsing the flag, and why each named GPU cannot be had, in the Go rewrite's words
// (`GPU 3 is already reserved by user 'alice'`), so users of both tools read the same sentences.
import type { AllocationRequest } from './allocation.js';
import { CanhazError } from './errors.js';
import { activeReservation } from './liveness.js';
import { printable } from './printable.js';
import type { GpuSlot, Reservation } from './reservation.js';

/** Some GPUs named with --gpu-ids cannot be had: one sentence each, joined into one line. */
export class GpusUnavailableError extends CanhazError {
  constructor(readonly reasons: readonly string[]) {
    super(reasons.map(printable).join('; ')); // names come from the store, which others may write
  }
}

/** `1,3` as ids in the order given, or the problem as one line. */
export function parseGpuIds(raw: string): number[] | string {
  const parts = raw.split(',').map((p) => p.trim());
  const bad = parts.find((p) => !/^\d{1,4}$/.test(p));
  if (bad !== undefined)
    return `Invalid value for '--gpu-ids': '${raw}' is not a comma-separated list of GPU ids (e.g. 1,3)`;
  const ids = parts.map(Number);
  const repeated = ids.find((id, i) => ids.indexOf(id) !== i);
  if (repeated !== undefined) return `Invalid value for '--gpu-ids': GPU ${repeated} is named twice`;
  return ids;
}

/**
 * Why each GPU `req.only` names cannot be granted now (empty when all can). A manual request may name
 * the user's own manual reservations: those are extended, not refused.
 */
export function unavailableIds(slots: readonly GpuSlot[], req: AllocationRequest): string[] {
  const inUse = new Set(req.inUse);
  const listed = req.listed ? new Set(req.listed) : null;
  const reasons: string[] = [];
  for (const id of new Set(req.only ?? [])) {
    const slot = slots[id];
    const held = slot && !slot.problem ? activeReservation(slot, req.now, req.liveness) : null;
    if (!slot) reasons.push(`GPU ID ${id} is out of range (0-${slots.length - 1})`);
    else if (slot.problem) reasons.push(`GPU ${id} cannot be read from the store`);
    else if (held && !isOwnManual(held, req)) reasons.push(`GPU ${id} is already reserved by user '${held.user}'`);
    else if (held)
      continue; // the user's own manual reservation: extended
    else if (listed && !listed.has(id)) reasons.push(`GPU ${id} is not found by nvidia-smi`);
    else if (inUse.has(id)) reasons.push(`GPU ${id} is in use without reservation`);
  }
  return reasons;
}

/** A manual reservation of the requesting user, which a manual request naming its GPU extends. */
export function isOwnManual(held: Reservation, req: Pick<AllocationRequest, 'type' | 'user'>): boolean {
  return req.type === 'manual' && held.type === 'manual' && held.user === req.user;
}
