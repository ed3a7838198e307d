// Every instance the server creates carries this label (vast `label`, io.net `resource_private_name`),
// so one created but never recorded (the server died in between) is found again and destroyed.
import { randomUUID } from 'node:crypto';

export const LABEL_PREFIX = 'canhazgpu:';

/** A fresh label naming the reservation attempt; the contract id is not known before the create. */
export const newLabel = (): string => `${LABEL_PREFIX}${randomUUID()}`;

export const isOurLabel = (label: unknown): boolean => typeof label === 'string' && label.startsWith(LABEL_PREFIX);
