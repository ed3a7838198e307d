// API keys in the accounts file: only their SHA-256 is kept.
import { randomUUID } from 'node:crypto';
import type { ApiKey, ApiKeyRecords, User } from '../ports.js';
import type { AccountsDatabase } from './database.js';
import { toUser, type UserRow } from './users.js';

interface KeyRow {
  id: string;
  user_id: string;
  name: string;
  created_at: number;
  revoked_at: number | null;
}

export class SqliteApiKeys implements ApiKeyRecords {
  constructor(private readonly db: AccountsDatabase) {}

  addApiKey(userId: string, name: string, keyHash: string, now: number): Promise<ApiKey> {
    const key: ApiKey = { id: randomUUID(), userId, name, createdAt: now, revokedAt: null };
    return this.db.write(() => {
      this.db
        .sql('INSERT INTO api_keys (id, user_id, name, key_hash, created_at) VALUES (?, ?, ?, ?, ?)')
        .run(key.id, userId, name, keyHash, now);
      return key;
    });
  }

  /** The live key with this hash and its user. */
  userByKeyHash(keyHash: string): Promise<{ user: User; keyId: string } | null> {
    return this.db.read(() => {
      const row = this.db
        .sql(`SELECT users.*, api_keys.id AS key_id FROM api_keys
        JOIN users ON users.id = api_keys.user_id WHERE api_keys.key_hash = ? AND api_keys.revoked_at IS NULL`)
        .get(keyHash) as (UserRow & { key_id: string }) | undefined;
      return row ? { user: toUser(row), keyId: row.key_id } : null;
    });
  }

  listApiKeys(userId: string): Promise<ApiKey[]> {
    return this.db.read(() => {
      const rows = this.db
        .sql(`SELECT id, user_id, name, created_at, revoked_at FROM api_keys WHERE user_id = ?
        ORDER BY created_at, id`)
        .all(userId) as KeyRow[];
      return rows.map((r) => ({
        id: r.id,
        userId: r.user_id,
        name: r.name,
        createdAt: r.created_at,
        revokedAt: r.revoked_at,
      }));
    });
  }

  /** Revokes one of the user's keys; false when the user has no such live key. */
  revokeApiKey(userId: string, keyId: string, now: number): Promise<boolean> {
    return this.db.write(
      () =>
        this.db
          .sql(`UPDATE api_keys SET revoked_at = ?
      WHERE id = ? AND user_id = ? AND revoked_at IS NULL`)
          .run(now, keyId, userId).changes === 1,
    );
  }
}
