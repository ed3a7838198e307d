// The fleet's keys: which pool is a host's, and the registry's records (`canhazgpu:hosts`, JSON per host).
import { CanhazError } from '../../domain/errors.js';
import type { HostRecord } from '../../domain/ports.js';
import { HOST_NAME } from '../../domain/fleet.js';
import { PLAIN_KEYS, type PoolKeys, poolKeys } from './schema.js';

/**
 * The plain keys are the pool of the host that claimed them, or of every host while nobody has (one
 * host, or tools that predate the fleet); any other host's pool carries its name as a hash tag.
 */
export function keysOfHost(host: string, plainHost: string | null): PoolKeys {
  if (host === '' || plainHost === null || plainHost === host) return PLAIN_KEYS;
  return taggedKeysOf(host);
}

/** A host's own pool, its name the keys' hash tag (one Redis Cluster slot). */
export function taggedKeysOf(host: string): PoolKeys {
  if (!HOST_NAME.test(host)) {
    throw new CanhazError(
      `The host name ${JSON.stringify(host.slice(0, 70))} cannot name a pool: use letters, digits, '.', '_' and '-' (set CANHAZGPU_HOST).`,
    );
  }
  return poolKeys(host);
}

/**
 * How long a one-shot command leaves this host's record alone after it was last seen: long enough that a
 * burst of `status` or `reserve` writes the registry once, short beside the minutes a fleet's view cares about.
 */
export const HOST_RECORD_FRESH_MS = 30_000;

/** The fields a registration sets, as the registry stores them. */
export function hostPatch(fields: Partial<Omit<HostRecord, 'host'>>): string {
  const { lastSeen, gpus, models, version } = fields;
  return JSON.stringify({
    ...(lastSeen !== undefined ? { last_seen: lastSeen } : {}),
    ...(gpus !== undefined ? { gpus } : {}),
    ...(models !== undefined ? { models } : {}),
    ...(version !== undefined ? { version } : {}),
  });
}

/** A registry record; fields edited into nonsense read as unknown. */
export function decodeHostRecord(host: string, raw: string): HostRecord {
  let v: Record<string, unknown> = {};
  try {
    const parsed = JSON.parse(raw) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) v = parsed as Record<string, unknown>;
  } catch {
    // an unreadable record: a host seen never
  }
  const models = Array.isArray(v['models']) ? v['models'].filter((m): m is string => typeof m === 'string') : [];
  return {
    host,
    gpus: Number.isInteger(v['gpus']) ? (v['gpus'] as number) : null,
    models,
    version: typeof v['version'] === 'string' ? v['version'] : null,
    lastSeen: typeof v['last_seen'] === 'number' && Number.isFinite(v['last_seen']) ? v['last_seen'] : 0,
  };
}
