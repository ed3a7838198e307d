// Users in the accounts file, with their login lockout and token generation.
import { CanhazError } from '../../../domain/errors.js';
import { newUser } from '../new-user.js';
import type { User, UserRecords } from '../ports.js';
import type { AccountsDatabase } from './database.js';

export interface UserRow {
  id: string;
  email: string;
  name: string;
  is_admin: number;
  password_hash: string | null;
  created_at: number;
  // Missing from a file an older canhazgpu made and a read-only command cannot migrate.
  disabled_at?: number | null;
  deleted_at?: number | null;
  token_generation?: number;
  failed_logins?: number;
  locked_until?: number | null;
}

export const toUser = (r: UserRow): User => ({
  id: r.id,
  email: r.email,
  name: r.name,
  isAdmin: r.is_admin === 1,
  passwordHash: r.password_hash,
  createdAt: r.created_at,
  disabledAt: r.disabled_at ?? null,
  deletedAt: r.deleted_at ?? null,
  tokenGeneration: r.token_generation ?? 0,
  failedLogins: r.failed_logins ?? 0,
  lockedUntil: r.locked_until ?? null,
});

function findByEmail(db: AccountsDatabase, email: string): User | null {
  const row = db.sql('SELECT * FROM users WHERE email = ? COLLATE NOCASE').get(email) as UserRow | undefined;
  return row ? toUser(row) : null;
}

export class SqliteUsers implements UserRecords {
  constructor(private readonly db: AccountsDatabase) {}

  async addUser(
    email: string,
    name: string,
    isAdmin: boolean,
    passwordHash: string | null,
    now: number,
  ): Promise<User> {
    const user = newUser(email, name, isAdmin, passwordHash, now);
    return this.db.write(() => {
      if (findByEmail(this.db, email)) throw new CanhazError(`a user with email ${email} already exists`);
      this.db
        .sql('INSERT INTO users (id, email, name, is_admin, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(user.id, email, name, isAdmin ? 1 : 0, passwordHash, now);
      return user;
    });
  }

  userByEmail(email: string): Promise<User | null> {
    return this.db.read(() => findByEmail(this.db, email));
  }

  userById(id: string): Promise<User | null> {
    return this.db.read(() => {
      const row = this.db.sql('SELECT * FROM users WHERE id = ?').get(id) as UserRow | undefined;
      return row ? toUser(row) : null;
    });
  }

  /** Every user but the deleted ones, by email. */
  listUsers(): Promise<User[]> {
    return this.db.read(() =>
      (this.db.sql('SELECT * FROM users ORDER BY email').all() as UserRow[])
        .map(toUser)
        .filter((u) => u.deletedAt === null),
    );
  }

  /** A new password; login tokens made with the old one stop working, and a login lock is lifted. */
  setPassword(userId: string, passwordHash: string): Promise<void> {
    return this.db.write(() => {
      this.db
        .sql(`UPDATE users SET password_hash = ?, token_generation = token_generation + 1, failed_logins = 0,
        locked_until = NULL WHERE id = ?`)
        .run(passwordHash, userId);
    });
  }

  /** Disabling kills the user's login tokens for good; enabling lets the keys work again and lifts a login lock. */
  setDisabled(userId: string, disabled: boolean, now: number): Promise<void> {
    return this.db.write(() => {
      if (disabled) {
        this.db
          .sql('UPDATE users SET disabled_at = ?, token_generation = token_generation + 1 WHERE id = ?')
          .run(now, userId);
      } else {
        this.db
          .sql('UPDATE users SET disabled_at = NULL, failed_logins = 0, locked_until = NULL WHERE id = ?')
          .run(userId);
      }
    });
  }

  /** Every login token the user holds stops working (API keys are revoked one by one). */
  revokeTokens(userId: string): Promise<void> {
    return this.db.write(() => {
      this.db.sql('UPDATE users SET token_generation = token_generation + 1 WHERE id = ?').run(userId);
    });
  }

  /**
   * Deletes a user who holds no active reservation (nobody could end those but an admin, nor be charged
   * for them). The row stays, so the ledger and past reservations keep their user; keys are revoked,
   * tokens and password die, and the email is freed for a new user of that address.
   */
  deleteUser(user: User, now: number): Promise<void> {
    return this.db.write(() => {
      const active = (
        this.db
          .sql(`SELECT COUNT(*) AS n FROM reservations
        WHERE user_id = ? AND ended_at IS NULL AND expires_at > ?`)
          .get(user.id, now) as { n: number }
      ).n;
      if (active > 0) {
        throw new CanhazError(
          `${user.email} holds ${active} active reservation(s): end them first (an admin may ` +
            `DELETE /api/v1/gpu/instances/PROVIDER/CONTRACT_ID), or disable the user now and delete it once they end`,
        );
      }
      this.db.sql('UPDATE api_keys SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL').run(now, user.id);
      this.db
        .sql(`UPDATE users SET deleted_at = ?, email = ?, password_hash = NULL,
        token_generation = token_generation + 1 WHERE id = ?`)
        .run(now, `${user.email}#deleted-${user.id}`, user.id);
    });
  }

  /** One more failed login in a row; `lockMs(failures)` says for how long the next one is refused. */
  recordLoginFailure(userId: string, now: number, lockMs: (failures: number) => number): Promise<void> {
    return this.db.write(() => {
      const row = this.db
        .sql('UPDATE users SET failed_logins = failed_logins + 1 WHERE id = ? RETURNING failed_logins')
        .get(userId) as { failed_logins: number } | undefined;
      const ms = row ? lockMs(row.failed_logins) : 0;
      if (ms > 0) this.db.sql('UPDATE users SET locked_until = ? WHERE id = ?').run(now + ms, userId);
    });
  }

  resetLoginFailures(userId: string): Promise<void> {
    return this.db.write(() => {
      this.db.sql('UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = ?').run(userId);
    });
  }
}
