// The history as the Go rewrite keeps it (github.com/russellb/canhazgpu, internal/redis_client/client.go
// RecordUsageHistory; internal/types/types.go UsageRecord): members of the sorted set
// canhazgpu:usage_history_sorted, scored by end time in Unix seconds, each a JSON record `user, gpu_id,
// start_time, end_time` (RFC 3339 or Unix seconds), `duration_seconds, reservation_type`. We add `note`,
// `end_reason` and `reservation_id` (it ignores them); its own records ended by a release.
import { type HistoryRecord, isEndReason } from '../../domain/history.js';
import { PREFIX, readTime } from './schema.js';

export const HISTORY_KEY = `${PREFIX}usage_history_sorted`;

/** One member, or null when it is not a record we can read (anyone with access may write the set). */
export function decodeHistoryRecord(raw: string): HistoryRecord | null {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return null;
  const v = value as Record<string, unknown>;
  const start = readTime(v['start_time']);
  const end = readTime(v['end_time']);
  if (typeof v['user'] !== 'string' || !Number.isInteger(v['gpu_id'])) return null;
  if (typeof start !== 'number' || typeof end !== 'number') return null;
  return {
    user: v['user'],
    gpuId: v['gpu_id'] as number,
    type: v['reservation_type'] === 'manual' ? 'manual' : 'run',
    note: typeof v['note'] === 'string' ? v['note'] : '',
    startTime: start * 1000,
    endTime: end * 1000,
    reason: isEndReason(v['end_reason']) ? v['end_reason'] : 'released',
    reservationId: typeof v['reservation_id'] === 'string' ? v['reservation_id'] : null,
  };
}

export function decodeHistory(members: readonly string[]): HistoryRecord[] {
  return members.map(decodeHistoryRecord).filter((r): r is HistoryRecord => r !== null);
}
