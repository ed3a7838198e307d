// How users make API keys for themselves: named, a few a second, and a bounded number live at once
// (more keys would multiply the per-key rate limit).
import { hashApiKey, newApiKey } from './auth.js';
import { ApiError } from './errors.js';
import { RateLimiter } from './identity.js';
import type { ApiKey, ApiKeyRecords, User } from './records/ports.js';
import { MAX_KEY_NAME_LENGTH } from './request-limits.js';

/** Live API keys one user may hold. */
export const MAX_LIVE_KEYS_PER_USER = 20;
/** Keys a user may make per second (twice that in a burst). */
const KEYS_PER_SECOND = 1;

export type CreateApiKey = (user: User, name: string) => Promise<{ key: string; record: ApiKey }>;

export function keyPolicy(keys: ApiKeyRecords, now: () => number): CreateApiKey {
  const limiter = new RateLimiter(KEYS_PER_SECOND, now);
  return async (user, name) => {
    if (!name || name.length > MAX_KEY_NAME_LENGTH)
      throw new ApiError('INVALID_ARGUMENT', `name must be 1 to ${MAX_KEY_NAME_LENGTH} characters`);
    limiter.take(`user:${user.id}`);
    const live = (await keys.listApiKeys(user.id)).filter((k) => k.revokedAt === null);
    if (live.length >= MAX_LIVE_KEYS_PER_USER) {
      throw new ApiError(
        'RESOURCE_EXHAUSTED',
        `you already hold ${MAX_LIVE_KEYS_PER_USER} live API keys; revoke one (canhazgpu apikey revoke) first`,
      );
    }
    const key = newApiKey();
    return { key, record: await keys.addApiKey(user.id, name, hashApiKey(key), now()) };
  };
}
