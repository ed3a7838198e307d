// Who is calling: an API key (X-API-Key, or Authorization: Bearer chg_…) or a login token
// (Authorization: Bearer <JWT>), shared by HTTP and gRPC. Also the per-key rate limit.
import { sign, verify } from 'hono/jwt';
import type { Accounts, User } from './accounts/accounts.js';
import { hashApiKey, newSecret, verifyPassword } from './auth.js';
import { ApiError } from './errors.js';

export const TOKEN_LIFETIME_S = 12 * 3600;
export const MAX_EMAIL_LENGTH = 320;
export const MAX_PASSWORD_LENGTH = 1024;
export const MAX_KEY_NAME_LENGTH = 128;
/** Logins: a few tries a second per email and per address, whatever --rate-limit says. */
const LOGIN_TRIES_PER_SECOND = 5;

export interface Caller {
  user: User;
  /** What the rate limit counts against: the key, or the user for tokens. */
  bucket: string;
}

export class Identity {
  private readonly secret: string;
  /** Password guessing is limited per email and per address (and each try costs a scrypt). */
  private readonly loginLimiter: RateLimiter;

  constructor(private readonly accounts: Accounts, private readonly now: () => number) {
    this.loginLimiter = new RateLimiter(LOGIN_TRIES_PER_SECOND, now);
    let secret = accounts.setting('token_secret');
    if (!secret) {
      secret = newSecret();
      accounts.setSetting('token_secret', secret);
    }
    this.secret = secret;
  }

  /** Resolves the credentials of one request: `apiKey` from X-API-Key, `authorization` as sent. */
  async authenticate(apiKey: string | undefined, authorization: string | undefined): Promise<Caller> {
    const bearer = authorization?.match(/^Bearer\s+(\S+)$/i)?.[1];
    const key = apiKey || (bearer?.startsWith('chg_') ? bearer : undefined);
    if (key) {
      const found = this.accounts.userByKeyHash(hashApiKey(key));
      if (!found) throw new ApiError('UNAUTHENTICATED', 'invalid or revoked API key');
      return { user: found.user, bucket: `key:${found.keyId}` };
    }
    if (bearer) {
      let payload: Record<string, unknown>;
      try {
        payload = await verify(bearer, this.secret, 'HS256');
      } catch {
        throw new ApiError('UNAUTHENTICATED', 'invalid or expired token');
      }
      const user = typeof payload['sub'] === 'string' ? this.accounts.userById(payload['sub']) : null;
      if (!user) throw new ApiError('UNAUTHENTICATED', 'invalid or expired token');
      return { user, bucket: `user:${user.id}` };
    }
    throw new ApiError('UNAUTHENTICATED', 'an API key (X-API-Key or Authorization: Bearer) or a login token is required');
  }

  /** Both transports' login: sizes checked, then tries limited per email and per `peer` address. */
  async login(email: string, password: string, peer: string): Promise<{ token: string; user: User }> {
    if (!email || email.length > MAX_EMAIL_LENGTH || !password || password.length > MAX_PASSWORD_LENGTH) {
      throw new ApiError('INVALID_ARGUMENT', `email (at most ${MAX_EMAIL_LENGTH} characters) and password (at most ${MAX_PASSWORD_LENGTH}) are required`);
    }
    this.loginLimiter.take(`email:${email.toLowerCase()}`);
    this.loginLimiter.take(`address:${peer}`);
    const user = this.accounts.userByEmail(email);
    // Same answer, and a hash check either way, whether the email or the password is wrong.
    const ok = await verifyPassword(password, user?.passwordHash ?? 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=');
    if (!user || !user.passwordHash || !ok) throw new ApiError('UNAUTHENTICATED', 'wrong email or password');
    const nowS = Math.floor(this.now() / 1000);
    const token = await sign({ sub: user.id, iat: nowS, exp: nowS + TOKEN_LIFETIME_S }, this.secret, 'HS256');
    return { token, user };
  }
}

/** Buckets kept before the ones that have filled up again are swept away. */
const SWEEP_ABOVE = 10_000;

/** A token bucket per caller: `perSecond` sustained, twice that in a burst; 0 turns it off. */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private sweptAt = 0;

  constructor(private readonly perSecond: number, private readonly now: () => number) {}

  private get capacity(): number {
    return Math.max(1, this.perSecond * 2);
  }

  /** A full bucket is the same as none: forgetting it keeps memory bounded by recent callers. */
  private sweep(now: number): void {
    const refillMs = (this.capacity / this.perSecond) * 1000;
    for (const [key, b] of this.buckets) if (now - b.at >= refillMs) this.buckets.delete(key);
  }

  /** Callers with a bucket on file (those seen lately). */
  get tracked(): number {
    return this.buckets.size;
  }

  take(bucket: string): void {
    if (this.perSecond <= 0) return;
    const capacity = this.capacity;
    const now = this.now();
    // At most once a second: a sweep reads every bucket, and a spray of callers must not make each request pay for it.
    if (this.buckets.size > SWEEP_ABOVE && now - this.sweptAt >= 1000) {
      this.sweptAt = now;
      this.sweep(now);
    }
    const b = this.buckets.get(bucket) ?? { tokens: capacity, at: now };
    b.tokens = Math.min(capacity, b.tokens + ((now - b.at) / 1000) * this.perSecond);
    b.at = now;
    if (b.tokens < 1) {
      this.buckets.set(bucket, b);
      throw new ApiError('RESOURCE_EXHAUSTED', `rate limit of ${this.perSecond} requests per second exceeded; retry shortly`);
    }
    b.tokens -= 1;
    this.buckets.set(bucket, b);
  }
}
