// Who is calling: an API key (X-API-Key, or Authorization: Bearer chg_…) or a login token
// (Authorization: Bearer <JWT>), shared by HTTP and gRPC. Also the per-key rate limit.
import type { ApiKeyRecords, SettingRecords, User, UserRecords } from './records/ports.js';
import { hashApiKey, newSecret, verifyPassword } from './auth.js';
import { ApiError } from './errors.js';
import { LoginLockout } from './login-lockout.js';
import { PasswordGate } from './password-gate.js';
import { MAX_EMAIL_LENGTH, MAX_PASSWORD_LENGTH } from './request-limits.js';
import { signToken, verifyToken } from './tokens.js';

export const TOKEN_LIFETIME_S = 12 * 3600;
/** Logins: a few tries a second per email and per address, whatever --rate-limit says. */
const LOGIN_TRIES_PER_SECOND = 5;
/** What a login checks a password against when there is no user: the same scrypt, whatever the email. */
const NO_PASSWORD = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

export interface Caller {
  user: User;
  /** What the rate limit counts against: the key, or the user for tokens. */
  bucket: string;
}

export class Identity {
  private secret: Promise<string> | null = null;
  /** Password guessing is limited per email and per address (and each try costs a scrypt). */
  private readonly loginLimiter: RateLimiter;
  private readonly lockout: LoginLockout;
  /** Emails whose login is being checked now. */
  private readonly checking = new Set<string>();

  constructor(
    private readonly accounts: UserRecords & ApiKeyRecords & SettingRecords,
    private readonly now: () => number,
    private readonly gate = new PasswordGate(),
  ) {
    this.loginLimiter = new RateLimiter(LOGIN_TRIES_PER_SECOND, now);
    this.lockout = new LoginLockout(accounts, now);
  }

  /** The key tokens are signed with, made on first use (a write: it may wait for the accounts' lock). */
  private tokenSecret(): Promise<string> {
    this.secret ??= this.accounts.settingOrMake('token_secret', newSecret);
    const secret = this.secret;
    secret.catch(() => {
      if (this.secret === secret) this.secret = null;
    });
    return secret;
  }

  /** Resolves the credentials of one request: `apiKey` from X-API-Key, `authorization` as sent. */
  async authenticate(apiKey: string | undefined, authorization: string | undefined): Promise<Caller> {
    const bearer = authorization?.match(/^Bearer\s+(\S+)$/i)?.[1];
    const key = apiKey || (bearer?.startsWith('chg_') ? bearer : undefined);
    if (key) {
      const found = await this.accounts.userByKeyHash(hashApiKey(key));
      if (!found || found.user.deletedAt !== null) throw new ApiError('UNAUTHENTICATED', 'invalid or revoked API key');
      return { user: usable(found.user), bucket: `key:${found.keyId}` };
    }
    if (bearer) {
      const payload = verifyToken(bearer, await this.tokenSecret(), this.now());
      if (!payload) throw new ApiError('UNAUTHENTICATED', 'invalid or expired token');
      const user = typeof payload['sub'] === 'string' ? await this.accounts.userById(payload['sub']) : null;
      // A password change, a disable or `user revoke-tokens` moved the user on to a new generation.
      if (!user || user.deletedAt !== null || payload['gen'] !== user.tokenGeneration) {
        throw new ApiError('UNAUTHENTICATED', 'invalid, expired or revoked token; log in again');
      }
      return { user: usable(user), bucket: `user:${user.id}` };
    }
    throw new ApiError(
      'UNAUTHENTICATED',
      'an API key (X-API-Key or Authorization: Bearer) or a login token is required',
    );
  }

  /**
   * Both transports' login: sizes checked, tries limited per email and per `peer` address, an email
   * locked out after failures in a row, and the password checks of all callers bounded together.
   */
  async login(email: string, password: string, peer: string): Promise<{ token: string; user: User }> {
    if (!email || email.length > MAX_EMAIL_LENGTH || !password || password.length > MAX_PASSWORD_LENGTH) {
      throw new ApiError(
        'INVALID_ARGUMENT',
        `email (at most ${MAX_EMAIL_LENGTH} characters) and password (at most ${MAX_PASSWORD_LENGTH}) are required`,
      );
    }
    this.loginLimiter.take(`address:${peer}`);
    // Where the email's owner logged in before, a stranger spending its tries does not keep them out.
    if (!this.lockout.knownAddress(email, peer)) this.loginLimiter.take(`email:${email.toLowerCase()}`);
    // One check in flight per email: the lockout counts a failure only after its check, so parallel
    // guesses would otherwise all pass the lock's test before the first failure is recorded.
    const key = email.toLowerCase();
    if (this.checking.has(key)) {
      throw new ApiError('RESOURCE_EXHAUSTED', 'a login for this email is already being checked; retry shortly');
    }
    this.checking.add(key);
    try {
      return await this.checkLogin(email, password, peer);
    } finally {
      this.checking.delete(key);
    }
  }

  private async checkLogin(email: string, password: string, peer: string): Promise<{ token: string; user: User }> {
    const user = await this.accounts.userByEmail(email);
    const wait = this.lockout.remaining(email, user, peer);
    if (wait > 0) {
      const seconds = Math.ceil(wait / 1000);
      throw new ApiError('RESOURCE_EXHAUSTED', `too many failed logins for this email; retry in ${seconds} s`);
    }
    // Same answer, and a hash check either way, whether the email or the password is wrong (or the user is disabled).
    const able = user?.passwordHash && user.disabledAt === null ? user : null;
    const ok = await this.gate.run(() => verifyPassword(password, able?.passwordHash ?? NO_PASSWORD));
    if (!able || !ok) {
      await this.lockout.failed(email, user, peer);
      throw new ApiError('UNAUTHENTICATED', 'wrong email or password');
    }
    await this.lockout.succeeded(able, peer);
    const nowS = Math.floor(this.now() / 1000);
    const claims = { sub: able.id, gen: able.tokenGeneration, iat: nowS, exp: nowS + TOKEN_LIFETIME_S };
    return { token: signToken(claims, await this.tokenSecret()), user: able };
  }
}

/** A disabled user's keys and tokens are refused (they work again once enabled; tokens do not). */
function usable(user: User): User {
  if (user.disabledAt !== null) throw new ApiError('UNAUTHENTICATED', 'this account is disabled');
  return user;
}

/** Buckets kept before the ones that have filled up again are swept away. */
const SWEEP_ABOVE = 10_000;

/** A token bucket per caller: `perSecond` sustained, twice that in a burst; 0 turns it off. */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private sweptAt = 0;

  constructor(
    private readonly perSecond: number,
    private readonly now: () => number,
  ) {}

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
      throw new ApiError(
        'RESOURCE_EXHAUSTED',
        `rate limit of ${this.perSecond} requests per second exceeded; retry shortly`,
      );
    }
    b.tokens -= 1;
    this.buckets.set(bucket, b);
  }
}
