// The server's records in memory: for tests of what uses them (GpuService, Identity, the account
// commands) without a file. Same contract as SQLite (../contract.case.test.ts); nothing survives close.
import { randomUUID } from 'node:crypto';
import { CanhazError } from '../../../domain/errors.js';
import { chargeFor } from '../charge.js';
import type { ApiKey, HostCount, Records, ServerReservation, Transaction, User } from '../ports.js';

interface StoredKey extends ApiKey {
  keyHash: string;
}

/** Callers get copies, as they get fresh rows from SQLite: changing one changes no record. */
const copy = <T>(value: T): T => structuredClone(value);
const reservationKey = (provider: string, contractId: string) => `${provider}\u0000${contractId}`;
const sameEmail = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

export class MemoryRecords implements Records {
  private readonly users = new Map<string, User>();
  private readonly keys: StoredKey[] = [];
  private readonly reservations = new Map<string, ServerReservation>();
  private readonly ledger: Transaction[] = [];
  private readonly settings = new Map<string, string>();

  close(): void {}

  // --- users

  async addUser(email: string, name: string, isAdmin: boolean, passwordHash: string | null, now: number) {
    if (this.findByEmail(email)) throw new CanhazError(`a user with email ${email} already exists`);
    const user: User = {
      id: randomUUID(), email, name, isAdmin, passwordHash, createdAt: now, disabledAt: null, deletedAt: null,
      tokenGeneration: 0, failedLogins: 0, lockedUntil: null,
    };
    this.users.set(user.id, user);
    return copy(user);
  }

  private findByEmail(email: string): User | undefined {
    return [...this.users.values()].find((u) => sameEmail(u.email, email));
  }

  async userByEmail(email: string) {
    const user = this.findByEmail(email);
    return user ? copy(user) : null;
  }

  async userById(id: string) {
    const user = this.users.get(id);
    return user ? copy(user) : null;
  }

  async listUsers() {
    return [...this.users.values()].filter((u) => u.deletedAt === null)
      .sort((a, b) => (a.email < b.email ? -1 : a.email > b.email ? 1 : 0)).map(copy);
  }

  /** Changes a user in place, when there is one (as an UPDATE of no row changes nothing). */
  private change(userId: string, fn: (u: User) => void): void {
    const user = this.users.get(userId);
    if (user) fn(user);
  }

  async setPassword(userId: string, passwordHash: string) {
    this.change(userId, (u) => {
      Object.assign(u, { passwordHash, tokenGeneration: u.tokenGeneration + 1, failedLogins: 0, lockedUntil: null });
    });
  }

  async setDisabled(userId: string, disabled: boolean, now: number) {
    this.change(userId, (u) => {
      if (disabled) Object.assign(u, { disabledAt: now, tokenGeneration: u.tokenGeneration + 1 });
      else Object.assign(u, { disabledAt: null, failedLogins: 0, lockedUntil: null });
    });
  }

  async revokeTokens(userId: string) {
    this.change(userId, (u) => (u.tokenGeneration += 1));
  }

  async deleteUser(user: User, now: number) {
    const active = [...this.reservations.values()]
      .filter((r) => r.userId === user.id && r.endedAt === null && r.expiresAt > now).length;
    if (active > 0) {
      throw new CanhazError(`${user.email} holds ${active} active reservation(s): end them first (an admin may `
        + `DELETE /api/v1/gpu/instances/PROVIDER/CONTRACT_ID), or disable the user now and delete it once they end`);
    }
    for (const k of this.keys) if (k.userId === user.id && k.revokedAt === null) k.revokedAt = now;
    this.change(user.id, (u) => Object.assign(u, {
      deletedAt: now, email: `${user.email}#deleted-${user.id}`, passwordHash: null,
      tokenGeneration: u.tokenGeneration + 1,
    }));
  }

  async recordLoginFailure(userId: string, now: number, lockMs: (failures: number) => number) {
    this.change(userId, (u) => {
      u.failedLogins += 1;
      const ms = lockMs(u.failedLogins);
      if (ms > 0) u.lockedUntil = now + ms;
    });
  }

  async resetLoginFailures(userId: string) {
    this.change(userId, (u) => Object.assign(u, { failedLogins: 0, lockedUntil: null }));
  }

  // --- API keys

  async addApiKey(userId: string, name: string, keyHash: string, now: number) {
    if (!this.users.has(userId)) throw new Error(`no user ${userId}`);
    if (this.keys.some((k) => k.keyHash === keyHash)) throw new Error('an API key with this hash exists');
    const key: ApiKey = { id: randomUUID(), userId, name, createdAt: now, revokedAt: null };
    this.keys.push({ ...key, keyHash });
    return copy(key);
  }

  async userByKeyHash(keyHash: string) {
    const key = this.keys.find((k) => k.keyHash === keyHash && k.revokedAt === null);
    const user = key && this.users.get(key.userId);
    return key && user ? { user: copy(user), keyId: key.id } : null;
  }

  async listApiKeys(userId: string) {
    return this.keys.filter((k) => k.userId === userId)
      .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1))
      .map(({ keyHash: _, ...k }) => copy(k));
  }

  async revokeApiKey(userId: string, keyId: string, now: number) {
    const key = this.keys.find((k) => k.id === keyId && k.userId === userId && k.revokedAt === null);
    if (key) key.revokedAt = now;
    return key !== undefined;
  }

  // --- reservations and the ledger

  async addReservation(r: ServerReservation) {
    return this.addReservations([r]);
  }

  async addReservations(list: ServerReservation[]) {
    const keys = list.map((r) => reservationKey(r.provider, r.contractId));
    // All or none: every one is checked before any is kept, as SQLite's transaction would.
    if (keys.some((k, i) => this.reservations.has(k) || keys.indexOf(k) !== i)) {
      throw new Error('a reservation of this provider and contract id is already recorded');
    }
    if (list.some((r) => !this.users.has(r.userId))) throw new Error('a reservation of no known user');
    list.forEach((r, i) => this.reservations.set(keys[i]!, copy(r)));
  }

  async reservation(provider: string, contractId: string) {
    const r = this.reservations.get(reservationKey(provider, contractId));
    return r ? copy(r) : null;
  }

  private active(): ServerReservation[] {
    return [...this.reservations.values()].filter((r) => r.endedAt === null);
  }

  async activeReservations(userId?: string) {
    return this.active().filter((r) => userId === undefined || r.userId === userId)
      .sort((a, b) => a.createdAt - b.createdAt).map(copy);
  }

  async recordedActive(provider: string, contractIds: readonly string[]) {
    return new Set(contractIds.filter((id) => this.reservations.get(reservationKey(provider, id))?.endedAt === null));
  }

  countByProvider(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const r of this.reservations.values()) counts.set(r.provider, (counts.get(r.provider) ?? 0) + 1);
    return counts;
  }

  activeCountsByHost(): HostCount[] {
    const counts = new Map<string, HostCount>();
    for (const r of this.active()) {
      const key = reservationKey(r.provider, r.instance.location);
      const entry = counts.get(key) ?? { provider: r.provider, location: r.instance.location, n: 0 };
      entry.n += 1;
      counts.set(key, entry);
    }
    return [...counts.values()];
  }

  async endReservation(r: ServerReservation, endedAt: number) {
    const kept = this.reservations.get(reservationKey(r.provider, r.contractId));
    if (!kept || kept.endedAt !== null) return null;
    kept.endedAt = endedAt;
    const t = chargeFor(r, endedAt, randomUUID());
    this.ledger.push(t);
    return copy(t);
  }

  async transactions(userId: string, limit: number, offset: number) {
    const mine = this.ledger.filter((t) => t.userId === userId)
      .sort((a, b) => b.timestamp - a.timestamp || (a.id < b.id ? -1 : 1));
    return { items: mine.slice(offset, offset + limit).map(copy), total: mine.length };
  }

  // --- settings

  setting(key: string): string | null {
    return this.settings.get(key) ?? null;
  }

  async setSetting(key: string, value: string) {
    this.settings.set(key, value);
  }

  async settingOrMake(key: string, make: () => string) {
    if (!this.settings.has(key)) this.settings.set(key, make());
    return this.settings.get(key)!;
  }
}
