// GPU use seen without a reservation in Redis: one hash per UTC day, `unreserved:<yyyy-mm-dd>` of the
// pool's keys, field `<hour start ms>|<user>` counting seconds, kept as long as the history; the sorted set
// `unreserved_days` lists the days that have one, so a window of any length reads only those.
import type { RedisClient } from './client.js';
import { DAY_MS } from '../../domain/history.js';
import { HOUR_MS, toUnreservedUse, type UnreservedUse } from '../../domain/unreserved.js';

const DAYS_NAME = 'unreserved_days';
const dayStart = (ms: number) => Math.floor(ms / DAY_MS) * DAY_MS;
const dayName = (ms: number) => `unreserved:${new Date(dayStart(ms)).toISOString().slice(0, 10)}`;

export async function addUnreservedTo(
  redis: RedisClient,
  key: (name: string) => string,
  uses: readonly UnreservedUse[],
  now: number,
  retentionS: number,
): Promise<void> {
  const days = key(DAYS_NAME);
  const keepS = retentionS + DAY_MS / 1000; // a day past the retention, counted from the last use
  const multi = redis.multi();
  for (const u of uses) {
    const day = key(dayName(u.hourStart));
    multi.hincrbyfloat(day, `${u.hourStart}|${u.user}`, u.seconds).expire(day, keepS);
    multi.zadd(days, dayStart(u.hourStart), String(dayStart(u.hourStart)));
  }
  multi.zremrangebyscore(days, '-inf', `(${now - retentionS * 1000 - DAY_MS}`).expire(days, keepS);
  await multi.exec();
}

export async function readUnreservedFrom(
  redis: RedisClient,
  key: (name: string) => string,
  from: number,
  to: number,
): Promise<UnreservedUse[]> {
  const days = await redis.zrangebyscore(key(DAYS_NAME), dayStart(from - HOUR_MS), to);
  const multi = redis.multi();
  for (const day of days) multi.hgetall(key(dayName(Number(day))));
  const replies = (await multi.exec()) ?? [];
  const uses: UnreservedUse[] = [];
  for (const [err, hash] of replies) {
    if (err || !hash) continue;
    for (const [field, seconds] of Object.entries(hash as Record<string, string>)) {
      const bar = field.indexOf('|');
      const use = bar < 0 ? null : toUnreservedUse(field.slice(bar + 1), field.slice(0, bar), seconds);
      if (use && use.hourStart + HOUR_MS > from && use.hourStart <= to) uses.push(use);
    }
  }
  return uses;
}
