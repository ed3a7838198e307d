// Users in memory, with their login lockout and token generation.
import { CanhazError } from '../../../domain/errors.js';
import { newUser } from '../new-user.js';
import type { User, UserRecords } from '../ports.js';
import { copy, type Tables } from './tables.js';

const sameEmail = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

export class MemoryUsers implements UserRecords {
  constructor(private readonly t: Tables) {}

  async addUser(email: string, name: string, isAdmin: boolean, passwordHash: string | null, now: number) {
    if (findByEmail(this.t, email)) throw new CanhazError(`a user with email ${email} already exists`);
    const user = newUser(email, name, isAdmin, passwordHash, now);
    this.t.users.set(user.id, user);
    return copy(user);
  }

  async userByEmail(email: string) {
    const user = findByEmail(this.t, email);
    return user ? copy(user) : null;
  }

  async userById(id: string) {
    const user = this.t.users.get(id);
    return user ? copy(user) : null;
  }

  async listUsers() {
    return [...this.t.users.values()]
      .filter((u) => u.deletedAt === null)
      .sort((a, b) => (a.email < b.email ? -1 : a.email > b.email ? 1 : 0))
      .map(copy);
  }

  async setPassword(userId: string, passwordHash: string) {
    change(this.t, userId, (u) => {
      Object.assign(u, { passwordHash, tokenGeneration: u.tokenGeneration + 1, failedLogins: 0, lockedUntil: null });
    });
  }

  async setDisabled(userId: string, disabled: boolean, now: number) {
    change(this.t, userId, (u) => {
      if (disabled) Object.assign(u, { disabledAt: now, tokenGeneration: u.tokenGeneration + 1 });
      else Object.assign(u, { disabledAt: null, failedLogins: 0, lockedUntil: null });
    });
  }

  async revokeTokens(userId: string) {
    change(this.t, userId, (u) => (u.tokenGeneration += 1));
  }

  async deleteUser(user: User, now: number) {
    const active = [...this.t.reservations.values()].filter(
      (r) => r.userId === user.id && r.endedAt === null && r.expiresAt > now,
    ).length;
    if (active > 0) {
      throw new CanhazError(
        `${user.email} holds ${active} active reservation(s): end them first (an admin may ` +
          `DELETE /api/v1/gpu/instances/PROVIDER/CONTRACT_ID), or disable the user now and delete it once they end`,
      );
    }
    for (const k of this.t.keys) if (k.userId === user.id && k.revokedAt === null) k.revokedAt = now;
    change(this.t, user.id, (u) =>
      Object.assign(u, {
        deletedAt: now,
        email: `${user.email}#deleted-${user.id}`,
        passwordHash: null,
        tokenGeneration: u.tokenGeneration + 1,
      }),
    );
  }

  async recordLoginFailure(userId: string, now: number, lockMs: (failures: number) => number) {
    change(this.t, userId, (u) => {
      u.failedLogins += 1;
      const ms = lockMs(u.failedLogins);
      if (ms > 0) u.lockedUntil = now + ms;
    });
  }

  async resetLoginFailures(userId: string) {
    change(this.t, userId, (u) => Object.assign(u, { failedLogins: 0, lockedUntil: null }));
  }
}

function findByEmail(t: Tables, email: string): User | undefined {
  return [...t.users.values()].find((u) => sameEmail(u.email, email));
}

/** Changes a user in place, when there is one (as an UPDATE of no row changes nothing). */
function change(t: Tables, userId: string, fn: (u: User) => void): void {
  const user = t.users.get(userId);
  if (user) fn(user);
}
