// The rules every part of the agent's gate applies to an ordinary caller: who it is, its tokens kept
// apart from everyone else's, and arguments checked before the store sees them.
import { MAX_POOL_SIZE } from '../../domain/allocation.js';
import { UsageError } from '../../domain/errors.js';

export interface Caller {
  uid: number;
  user: string;
  /** Root, the agent's own user, or a user it trusts: its requests pass unchanged. */
  trusted: boolean;
}

/** `reserve --extend` adds at most what a duration may be (ten years). */
export const MAX_EXTEND_MS = 10 * 365 * 86_400_000;

/** Each caller's tokens carry its uid, so no two users' tokens can ever be the same string. */
export const tokenPrefix = (caller: Caller) => `uid${caller.uid}:`;

/** A token or queue id as the store keeps it: an ordinary caller's under its own prefix. */
export const storedToken = (caller: Caller, token: unknown): string =>
  caller.trusted ? text(token, 'token') : tokenPrefix(caller) + text(token, 'token');

/** A stored token or queue id as `caller` sees it: its own as it sent them, others' with a prefix it cannot send. */
export function asSeenBy(caller: Caller, stored: string): string {
  const prefix = tokenPrefix(caller);
  return !caller.trusted && stored.startsWith(prefix) ? stored.slice(prefix.length) : stored;
}

export function asThemself(caller: Caller, user: unknown): void {
  if (user !== caller.user) {
    throw new UsageError(
      `the canhazgpu agent acts only for the user who asks (you are '${caller.user}', the request names '${String(user).slice(0, 64)}')`,
    );
  }
}

export function text(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 256) {
    throw new UsageError(`the canhazgpu agent needs a ${what} of 1 to 256 characters`);
  }
  return value;
}

/** Absent, or a list of GPU ids no longer than the largest pool. */
export const ids = (value: unknown) =>
  value === undefined ||
  value === null ||
  (Array.isArray(value) && value.length <= MAX_POOL_SIZE && value.every((id) => Number.isSafeInteger(id)));
