// Failed logins lock an email out for a while, doubling with each further failure: one account can
// no longer be guessed at the rate limit all day. A known user's count lives in the accounts (a
// restart does not reset it); unknown emails are counted in memory, so both answer alike.
import type { User, UserRecords } from './records/ports.js';

/** Failures in a row allowed before the first lock. */
export const FREE_FAILURES = 4;
const FIRST_LOCK_MS = 1000;
export const MAX_LOCK_MS = 15 * 60_000;
/** Unknown emails remembered at most; the oldest is forgotten first. */
const MAX_UNKNOWN = 10_000;

/** How long the next login is refused after `failures` in a row: 0, then 1 s at the 5th, doubling, capped. */
export function lockMs(failures: number): number {
  return failures <= FREE_FAILURES ? 0 : Math.min(MAX_LOCK_MS, FIRST_LOCK_MS * 2 ** (failures - FREE_FAILURES - 1));
}

export class LoginLockout {
  private readonly unknown = new Map<string, { failures: number; lockedUntil: number }>();

  constructor(
    private readonly users: Pick<UserRecords, 'recordLoginFailure' | 'resetLoginFailures'>,
    private readonly now: () => number,
  ) {}

  /** Milliseconds until `email` (with its user, when there is one) may try again; 0 when it may now. */
  remaining(email: string, user: User | null): number {
    const until = user ? user.lockedUntil : this.unknown.get(email.toLowerCase())?.lockedUntil;
    return Math.max(0, (until ?? 0) - this.now());
  }

  async failed(email: string, user: User | null): Promise<void> {
    if (user) return this.users.recordLoginFailure(user.id, this.now(), lockMs);
    const key = email.toLowerCase();
    const failures = (this.unknown.get(key)?.failures ?? 0) + 1;
    this.unknown.delete(key); // set again below, as the newest
    if (this.unknown.size >= MAX_UNKNOWN) this.unknown.delete(this.unknown.keys().next().value!);
    this.unknown.set(key, { failures, lockedUntil: this.now() + lockMs(failures) });
  }

  async succeeded(user: User): Promise<void> {
    if (user.failedLogins > 0 || user.lockedUntil !== null) await this.users.resetLoginFailures(user.id);
  }
}
