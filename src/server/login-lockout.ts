// Failed logins lock an email out for a while, doubling with each further failure: one account can
// no longer be guessed at the rate limit all day. A known user's count lives in the accounts (a
// restart does not reset it); unknown emails are counted in memory, so both answer alike.
// So that a stranger who knows an email cannot lock its owner out too, the email's lock does not apply
// at an address where that email logged in successfully since the server started; failures from each
// address are also counted on their own there, so guessing from it is bounded all the same.
import type { User, UserRecords } from './records/ports.js';

/** Failures in a row allowed before the first lock. */
export const FREE_FAILURES = 4;
const FIRST_LOCK_MS = 1000;
export const MAX_LOCK_MS = 15 * 60_000;
/** Emails and (email, address) pairs remembered at most, each; the oldest is forgotten first. */
const MAX_REMEMBERED = 10_000;

/** How long the next login is refused after `failures` in a row: 0, then 1 s at the 5th, doubling, capped. */
export function lockMs(failures: number): number {
  return failures <= FREE_FAILURES ? 0 : Math.min(MAX_LOCK_MS, FIRST_LOCK_MS * 2 ** (failures - FREE_FAILURES - 1));
}

type Count = { failures: number; lockedUntil: number };

/** A bounded map whose oldest entries go first. */
class Remembered<V> {
  private readonly map = new Map<string, V>();
  get(key: string): V | undefined {
    return this.map.get(key);
  }
  set(key: string, value: V): void {
    this.map.delete(key); // set again below, as the newest
    if (this.map.size >= MAX_REMEMBERED) this.map.delete(this.map.keys().next().value!);
    this.map.set(key, value);
  }
  delete(key: string): void {
    this.map.delete(key);
  }
}

const pairKey = (email: string, address: string) => `${email.toLowerCase()}\n${address}`;

function counted(counts: Remembered<Count>, key: string, now: number): void {
  const failures = (counts.get(key)?.failures ?? 0) + 1;
  counts.set(key, { failures, lockedUntil: now + lockMs(failures) });
}

export class LoginLockout {
  private readonly unknown = new Remembered<Count>();
  /** Failures per (email, address) where that email has not logged in. */
  private readonly pairs = new Remembered<Count>();
  /**
   * Where each email logged in, with the failures there since: kept together, so only more successful logins
   * can make the server forget them (and then the email's own lock applies there again), never a flood of
   * failures for other emails.
   */
  private readonly goodAddresses = new Remembered<Count>();

  constructor(
    private readonly users: Pick<UserRecords, 'recordLoginFailure' | 'resetLoginFailures'>,
    private readonly now: () => number,
  ) {}

  /** Whether `email` logged in successfully from `address` since the server started. */
  knownAddress(email: string, address: string): boolean {
    return this.goodAddresses.get(pairKey(email, address)) !== undefined;
  }

  /** Milliseconds until `email` (with its user, when there is one) may try again from `address`; 0 when it may now. */
  remaining(email: string, user: User | null, address: string): number {
    const known = this.goodAddresses.get(pairKey(email, address));
    if (known) return Math.max(0, known.lockedUntil - this.now());
    const pair = this.pairs.get(pairKey(email, address))?.lockedUntil ?? 0;
    const emailLock = (user ? user.lockedUntil : this.unknown.get(email.toLowerCase())?.lockedUntil) ?? 0;
    return Math.max(0, Math.max(pair, emailLock) - this.now());
  }

  async failed(email: string, user: User | null, address: string): Promise<void> {
    const key = pairKey(email, address);
    counted(this.goodAddresses.get(key) ? this.goodAddresses : this.pairs, key, this.now());
    if (user) return this.users.recordLoginFailure(user.id, this.now(), lockMs);
    counted(this.unknown, email.toLowerCase(), this.now());
  }

  async succeeded(user: User, address: string): Promise<void> {
    this.pairs.delete(pairKey(user.email, address));
    this.goodAddresses.set(pairKey(user.email, address), { failures: 0, lockedUntil: 0 });
    if (user.failedLogins > 0 || user.lockedUntil !== null) await this.users.resetLoginFailures(user.id);
  }
}
