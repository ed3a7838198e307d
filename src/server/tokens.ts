// Login tokens: HS256 JWTs (RFC 7519), signed and checked with node:crypto, so what checks callers
// needs no web framework (gRPC checks them too). Tokens made by earlier releases (hono/jwt) verify.
import { createHmac, timingSafeEqual } from 'node:crypto';

export type TokenClaims = Record<string, unknown>;

const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
const BASE64URL = /^[A-Za-z0-9_-]+$/;

const mac = (input: string, secret: string) => createHmac('sha256', secret).update(input).digest();

export function signToken(claims: TokenClaims, secret: string): string {
  const body = `${HEADER}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return `${body}.${mac(body, secret).toString('base64url')}`;
}

function decodeJson(part: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    const isObject = value !== null && typeof value === 'object' && !Array.isArray(value);
    return isObject ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** A time claim (seconds), when present, must be a finite number meeting `ok`. */
const timeOk = (value: unknown, ok: (seconds: number) => boolean) =>
  value === undefined || (typeof value === 'number' && Number.isFinite(value) && ok(value));

/**
 * The claims of a token signed with `secret`, or null: a bad signature, another algorithm, not yet
 * valid (`nbf`, `iat` after `nowMs`) or expired (`exp` at or before it).
 */
export function verifyToken(token: string, secret: string, nowMs: number): TokenClaims | null {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((p) => BASE64URL.test(p))) return null;
  const [header, payload, signature] = parts as [string, string, string];
  const expected = mac(`${header}.${payload}`, secret);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  const head = decodeJson(header);
  if (head?.['alg'] !== 'HS256' || 'crit' in head) return null;
  if (head['typ'] !== undefined && String(head['typ']).toUpperCase() !== 'JWT') return null;
  const claims = decodeJson(payload);
  const now = Math.floor(nowMs / 1000);
  if (!claims || !timeOk(claims['exp'], (s) => s > now)) return null;
  if (!timeOk(claims['nbf'], (s) => s <= now) || !timeOk(claims['iat'], (s) => s <= now)) return null;
  return claims;
}
