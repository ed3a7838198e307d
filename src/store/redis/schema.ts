// The key schema shared with the other canhazgpu tools (the Python script and the Go rewrite).
// Times: we write Unix seconds as JSON integers (the Python tool reads only numbers, and prints
// floats badly); we read numbers and RFC 3339 strings.
import type { PoolOwner } from '../../domain/pool-owner.js';
import type { GpuSlot, Reservation } from '../../domain/reservation.js';

export const PREFIX = 'canhazgpu:';

/**
 * The keys of one host's pool. The plain `canhazgpu:` keys are the pool the other tools share (one
 * host's); every other host of a fleet keeps its pool under `canhazgpu:{host}:`, a Redis Cluster hash
 * tag, so each script touches one slot. Scripts get every key they touch from here (KEYS, or `prefix`
 * as an argument), so a new key of a pool is `keys.key('name')`.
 */
export interface PoolKeys {
  /** The host these keys are tagged with; null for the plain keys. */
  readonly tag: string | null;
  readonly prefix: string;
  readonly gpuCount: string;
  readonly lock: string;
  /** Ours alone: who ran `admin` (the other tools ignore it). */
  readonly poolOwner: string;
  gpu(id: number): string;
  key(name: string): string;
}

export function poolKeys(tag: string | null): PoolKeys {
  const prefix = tag === null ? PREFIX : `${PREFIX}{${tag}}:`;
  const key = (name: string) => `${prefix}${name}`;
  return {
    tag,
    prefix,
    gpuCount: key('gpu_count'),
    lock: key('allocation_lock'),
    poolOwner: key('pool_owner'),
    gpu: (id) => key(`gpu:${id}`),
    key,
  };
}

export const PLAIN_KEYS = poolKeys(null);
export const GPU_COUNT_KEY = PLAIN_KEYS.gpuCount;
export const LOCK_KEY = PLAIN_KEYS.lock;
export const POOL_OWNER_KEY = PLAIN_KEYS.poolOwner;
/** Ours alone: the host whose pool the plain keys are (the first of ours to set them up, or claim them). */
export const PLAIN_HOST_KEY = `${PREFIX}pool_host`;
/** Ours alone: every host of the fleet, a hash of host name to its record (JSON). */
export const HOSTS_KEY = `${PREFIX}hosts`;
/** Ours alone: a host's latest GPU reading, and the lock that elects its one prober. */
export const readingKey = (host: string) => `${PREFIX}reading:${host}`;
export const readingLockKey = (host: string) => `${PREFIX}reading_lock:${host}`;
/** A reading nobody refreshes goes away by itself (commands want one seconds old at most). */
export const READING_TTL_S = 300;
export const gpuKey = PLAIN_KEYS.gpu;
/** Ours alone: `admin --policy` (the Go rewrite always prefers a user's recent GPUs and keeps no setting), per pool. */
export const POLICY_NAME = 'allocation_policy';
export const POLICY_KEY = PLAIN_KEYS.key(POLICY_NAME);

/** Unix seconds from a JSON number or an RFC 3339 string; null when absent, undefined when unreadable. */
export function readTime(value: unknown): number | null | undefined {
  if (value === undefined || value === null) return null;
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  if (/^-?\d+(\.\d+)?$/.test(value.trim())) return Number(value);
  // RFC 3339, every field in its range (Date.parse would roll Feb 30 into March); the Lua scripts
  // read times by the same rule (includes/time.lua), so status and allocation agree on a key.
  const m = /^(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(?:\.\d+)?(?:([Zz])|([+-])(\d\d):(\d\d))$/.exec(value);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const [sign, oh, om] = [m[8], Number(m[9]), Number(m[10])];
  const daysInMonth = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth || h > 23 || mi > 59 || s > 59) return undefined;
  if (sign !== undefined && (oh > 23 || om > 59)) return undefined;
  const offset = sign === undefined ? 0 : (sign === '+' ? 1 : -1) * (oh * 3600 + om * 60);
  return Date.UTC(y, mo - 1, d, h, mi, s) / 1000 - offset;
}

const ms = (seconds: number) => seconds * 1000;

/** One GPU key's value (null when absent) as the domain sees it, or with the problem named. */
export function decodeSlot(id: number, raw: string | null, keys: PoolKeys = PLAIN_KEYS): GpuSlot {
  const problem = (what: string) => unreadable(keys.gpu(id), id, what);
  if (raw === null) return { id, reservation: null, lastReleased: null };
  let entry: unknown;
  try {
    entry = JSON.parse(raw);
  } catch {
    return problem(`unreadable JSON ${JSON.stringify(raw.slice(0, 40))}`);
  }
  if (!entry || typeof entry !== 'object' || Array.isArray(entry))
    return problem(`not a JSON object: ${raw.slice(0, 40)}`);
  const e = entry as Record<string, unknown>;
  const released = readTime(e['last_released']);
  const lastReleased = released === null || released === undefined ? null : ms(released);
  if (e['user'] === undefined || e['user'] === null || e['user'] === '') {
    const by = e['last_released_by'];
    return { id, reservation: null, lastReleased, ...(typeof by === 'string' ? { lastReleasedBy: by } : {}) };
  }
  if (typeof e['user'] !== 'string') return problem(`user is not a string`);
  const start = readTime(e['start_time']);
  const heartbeat = readTime(e['last_heartbeat']);
  const expiry = readTime(e['expiry_time']);
  for (const [field, value] of [
    ['start_time', start],
    ['last_heartbeat', heartbeat],
    ['expiry_time', expiry],
  ] as const) {
    if (value === undefined) return problem(`unreadable ${field} ${JSON.stringify(e[field])}`);
  }
  const manual = e['type'] === 'manual' || ((e['type'] === undefined || e['type'] === null) && expiry !== null);
  const startMs = ms(start ?? 0);
  const reservation: Reservation = {
    user: e['user'],
    type: manual ? 'manual' : 'run',
    startTime: startMs,
    lastHeartbeat: heartbeat === null || heartbeat === undefined ? startMs : ms(heartbeat),
    expiryTime: manual ? ms(expiry ?? start ?? 0) : null,
    token: typeof e['reservation_id'] === 'string' ? e['reservation_id'] : null,
    owner:
      typeof e['owner_host'] === 'string' && typeof e['owner_pid'] === 'number'
        ? {
            host: e['owner_host'],
            pid: e['owner_pid'],
            startTime: typeof e['owner_start'] === 'string' ? e['owner_start'] : null,
          }
        : null,
    // The Go rewrite's field, so each tool shows the other's notes.
    ...(typeof e['note'] === 'string' && e['note'] !== '' ? { note: e['note'] } : {}),
  };
  return { id, reservation, lastReleased };
}

function unreadable(key: string, id: number, what: string): GpuSlot {
  return { id, reservation: null, lastReleased: null, problem: `${key}: ${what}` };
}

const seconds = (msValue: number) => Math.floor(msValue / 1000);

/** What we write for a reservation: the fields both other tools read, plus ours under names they ignore. */
export function encodeReservation(r: Reservation): string {
  return JSON.stringify({
    user: r.user,
    start_time: seconds(r.startTime),
    last_heartbeat: seconds(r.lastHeartbeat),
    type: r.type,
    ...(r.type === 'manual' && r.expiryTime !== null ? { expiry_time: seconds(r.expiryTime) } : {}),
    ...(r.token ? { reservation_id: r.token } : {}),
    ...(r.owner ? { owner_host: r.owner.host, owner_pid: r.owner.pid, owner_start: r.owner.startTime } : {}),
    ...(r.note ? { note: r.note } : {}),
  });
}

/** The pool's owner as `admin` wrote it; anything else (edited by hand) is an owner nobody matches. */
export function decodePoolOwner(raw: string): PoolOwner {
  try {
    const v = JSON.parse(raw) as Partial<PoolOwner>;
    if (Number.isInteger(v.uid) && typeof v.host === 'string')
      return { uid: v.uid!, user: String(v.user ?? ''), host: v.host };
  } catch {
    // fall through
  }
  return { uid: -1, user: '', host: '' };
}
