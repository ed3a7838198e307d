// API keys in memory, kept by their hash as in the accounts file.
import { randomUUID } from 'node:crypto';
import type { ApiKey, ApiKeyRecords } from '../ports.js';
import { copy, type Tables } from './tables.js';

export class MemoryApiKeys implements ApiKeyRecords {
  constructor(private readonly t: Tables) {}

  async addApiKey(userId: string, name: string, keyHash: string, now: number) {
    if (!this.t.users.has(userId)) throw new Error(`no user ${userId}`);
    if (this.t.keys.some((k) => k.keyHash === keyHash)) throw new Error('an API key with this hash exists');
    const key: ApiKey = { id: randomUUID(), userId, name, createdAt: now, revokedAt: null };
    this.t.keys.push({ ...key, keyHash });
    return copy(key);
  }

  async userByKeyHash(keyHash: string) {
    const key = this.t.keys.find((k) => k.keyHash === keyHash && k.revokedAt === null);
    const user = key && this.t.users.get(key.userId);
    return key && user ? { user: copy(user), keyId: key.id } : null;
  }

  async listApiKeys(userId: string) {
    return this.t.keys
      .filter((k) => k.userId === userId)
      .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1))
      .map(({ keyHash: _, ...k }) => copy(k));
  }

  async revokeApiKey(userId: string, keyId: string, now: number) {
    const key = this.t.keys.find((k) => k.id === keyId && k.userId === userId && k.revokedAt === null);
    if (key) key.revokedAt = now;
    return key !== undefined;
  }
}
