// Queue entries in the Go rewrite's format (russellb/canhazgpu internal/types/types.go, QueueEntry):
// times as RFC 3339 strings (its FlexibleTime marshals time.Time; it also reads Unix seconds),
// expiry_duration a time.Duration in nanoseconds, the sorted set's score the enqueue time in Unix
// nanoseconds (internal/redis_client/client.go, AddToQueue). Ours add `heartbeat_interval_seconds`
// (a field Go ignores): its presence tells our waiters, which beat every 2 s, from Go's (every 30 s).
import { MAX_POOL_SIZE } from '../../domain/allocation.js';
import { QUEUE_HEARTBEAT_MS, type QueueEntry } from '../../domain/queue.js';
import { type PoolKeys, readTime } from './schema.js';

/** The queue's keys beside a pool's: `canhazgpu:queue…` for the plain pool (the Go rewrite's), `canhazgpu:{host}:queue…` for a fleet's other hosts. */
export interface QueueKeys {
  queue: string;
  entry(id: string): string;
  /** Ours alone: requests that went ahead of a waiter by backfill (a capped list of JSON records). */
  backfills: string;
  /** Ours alone: published on every release, allocation, extension and waiter leaving: waiters and the agent's status board look at once. */
  wake: string;
}

export function queueKeys(pool: PoolKeys): QueueKeys {
  return {
    queue: pool.key('queue'),
    entry: (id) => pool.key(`queue:entry:${id}`),
    backfills: pool.key('queue:backfills'),
    wake: pool.key('queue:wake'),
  };
}

const NS_PER_MS = 1_000_000;
const iso = (ms: number) => new Date(ms).toISOString();

export function queueScore(entry: QueueEntry): number {
  return entry.enqueuedAt * NS_PER_MS;
}

export function encodeQueueEntry(e: QueueEntry): string {
  return JSON.stringify({
    id: e.id,
    user: e.user,
    actual_user: e.actualUser,
    requested_count: e.count,
    ...(e.requestedIds ? { requested_ids: e.requestedIds } : {}),
    allocated_gpus: [], // Go's partial grants: we never hold part of a request
    reservation_type: e.type,
    ...(e.durationMs !== null ? { expiry_duration: e.durationMs * NS_PER_MS } : {}),
    ...(e.note ? { note: e.note } : {}),
    enqueue_time: iso(e.enqueuedAt),
    last_heartbeat: iso(e.lastHeartbeat),
    ...(e.waitUntil !== null ? { wait_timeout: iso(e.waitUntil) } : {}),
    heartbeat_interval_seconds: QUEUE_HEARTBEAT_MS / 1000,
  });
}

const idList = (v: unknown): number[] | null =>
  Array.isArray(v) && v.length > 0 && v.length <= MAX_POOL_SIZE && v.every((x) => Number.isInteger(x) && x >= 0)
    ? (v as number[])
    : null;

/** An entry as any tool wrote it, or null when it cannot be read (left out of the queue). */
export function decodeQueueEntry(raw: string | null, score: number): QueueEntry | null {
  if (raw === null) return null;
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(raw) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null || typeof v.id !== 'string' || typeof v.user !== 'string') return null;
  const count = v.requested_count ?? 0;
  const ids = idList(v.requested_ids);
  // A count no pool can have, or a request for nothing, is not a request: left out rather than obeyed.
  if (!Number.isInteger(count) || (count as number) < 0 || (count as number) > MAX_POOL_SIZE) return null;
  if (count === 0 && ids === null) return null;
  const heartbeat = readTime(v.last_heartbeat);
  const enqueued = Number.isFinite(score) ? score / NS_PER_MS : (readTime(v.enqueue_time) ?? 0) * 1000;
  const waitUntil = readTime(v.wait_timeout);
  const duration = typeof v.expiry_duration === 'number' && v.expiry_duration > 0 ? v.expiry_duration : null;
  return {
    id: v.id,
    user: v.user,
    actualUser: typeof v.actual_user === 'string' && v.actual_user !== '' ? v.actual_user : v.user,
    count: count as number,
    requestedIds: ids,
    type: v.reservation_type === 'manual' ? 'manual' : 'run',
    durationMs: duration === null ? null : Math.round(duration / NS_PER_MS),
    note: typeof v.note === 'string' && v.note !== '' ? v.note : null,
    enqueuedAt: enqueued,
    // An unreadable heartbeat counts as none: such an entry is a ghost.
    lastHeartbeat: typeof heartbeat === 'number' ? heartbeat * 1000 : 0,
    waitUntil: typeof waitUntil === 'number' ? waitUntil * 1000 : null,
    ours: typeof v.heartbeat_interval_seconds === 'number',
  };
}
