// GPU use seen without a reservation in Redis: one hash per UTC day, `unreserved:<yyyy-mm-dd>` of the
// pool's keys, field `<hour start ms>|<user>` counting seconds, kept as long as the history; the sorted set
// `unreserved_days` lists the days that have one, so a window of any length reads only those. Written by
// lua/add-unreserved.lua.
import type { RedisClient } from './client.js';
import { DAY_MS } from '../../domain/history.js';
import { HOUR_MS, toUnreservedUse, type UnreservedUse } from '../../domain/unreserved.js';

const DAYS_NAME = 'unreserved_days';
const dayStart = (ms: number) => Math.floor(ms / DAY_MS) * DAY_MS;
const dayName = (ms: number) => `unreserved:${new Date(dayStart(ms)).toISOString().slice(0, 10)}`;

/** The keys and arguments of add-unreserved.lua adding `uses`: the index and each day's hash, all of one pool. */
export function addUnreservedCall(
  key: (name: string) => string,
  uses: readonly UnreservedUse[],
  now: number,
  retentionS: number,
): { keys: string[]; args: Array<string | number> } {
  const keys = [key(DAYS_NAME)];
  const args: Array<string | number> = [now, retentionS];
  for (const u of uses) {
    const day = key(dayName(u.hourStart));
    if (!keys.includes(day)) keys.push(day);
    args.push(keys.indexOf(day) + 1, dayStart(u.hourStart), u.hourStart, u.user, u.seconds);
  }
  return { keys, args };
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
