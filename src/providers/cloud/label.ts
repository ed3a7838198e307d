// Every instance the server creates carries a label (vast `label`, io.net `resource_private_name`):
// `canhazgpu:<uuid>:<expiry, Unix seconds>`. The prefix finds one created but never recorded (the server
// died in between); the expiry lets the provider end it when its hours are over, even after a restart.
import { randomUUID } from 'node:crypto';

export const LABEL_PREFIX = 'canhazgpu:';

/** The label of reservation `id` due to end at `expiresAt` (Unix ms); the contract id is not known yet. */
export const newLabel = (expiresAt: number, id: string = randomUUID()): string =>
  `${LABEL_PREFIX}${id}:${Math.ceil(expiresAt / 1000)}`;

/** The reservation id a label carries, or null when it is not one of ours. */
export function labelReservationId(label: unknown): string | null {
  if (!isOurLabel(label)) return null;
  const m = label.slice(LABEL_PREFIX.length).match(/^([0-9a-f-]{36}):\d+$/);
  return m ? m[1]! : null;
}

export const isOurLabel = (label: unknown): label is string =>
  typeof label === 'string' && label.startsWith(LABEL_PREFIX);

/** When a labelled instance is due to end (Unix ms), or null for labels without one. */
export function labelExpiry(label: unknown): number | null {
  if (!isOurLabel(label)) return null;
  const m = label.match(/:(\d{9,})$/);
  return m ? Number(m[1]) * 1000 : null;
}

/** Whether an instance labelled `label` is past its hours at `now`. */
export const expired = (label: unknown, now: number): boolean => {
  const at = labelExpiry(label);
  return at !== null && at <= now;
};
