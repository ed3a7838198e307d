// The wait queue on Redis, in the Go rewrite's keys (queue-codec.ts), so each tool lists the other's
// waiters. Waiters hear of releases and departures on a pub/sub channel instead of polling (the Go
// tool polls every 2 s); a release by a tool that does not publish is seen at the caller's next look.
import { duplicateOf, type RedisClient } from './client.js';
import type { QueueStore } from '../../domain/ports.js';
import type { Backfill, QueueEntry } from '../../domain/queue.js';
import { decodeQueueEntry, encodeQueueEntry, type QueueKeys, queueScore } from './queue-codec.js';

/** What the queue borrows from its RedisStore: the client and its way of turning failures into one line. */
export interface RedisAccess {
  redis: RedisClient;
  call<T>(fn: () => Promise<T>): Promise<T>;
  /** The keys of the store's pool as they are now (a fleet's host may move to its own pool). */
  keys(): QueueKeys;
}

/** Backfill records kept: enough for every waiter of a busy queue. */
const BACKFILLS_KEPT = 200;

export class RedisQueue implements QueueStore {
  private subscriber: RedisClient | null = null;
  private subscribing: Promise<boolean> | null = null;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly access: RedisAccess) {}

  private get redis(): RedisClient {
    return this.access.redis;
  }

  private get keys(): QueueKeys {
    return this.access.keys();
  }

  async enqueue(entry: QueueEntry): Promise<void> {
    await this.access.call(() =>
      this.redis
        .multi()
        .set(this.keys.entry(entry.id), encodeQueueEntry(entry))
        .zadd(this.keys.queue, queueScore(entry), entry.id)
        .exec(),
    );
  }

  async waiters(): Promise<QueueEntry[]> {
    const flat = await this.access.call(() => this.redis.zrange(this.keys.queue, '0', '-1', 'WITHSCORES'));
    if (flat.length === 0) return [];
    const ids = flat.filter((_, i) => i % 2 === 0);
    const raws = await this.access.call(() => this.redis.mget(ids.map((id) => this.keys.entry(id))));
    const entries: QueueEntry[] = [];
    const unreadable: string[] = [];
    ids.forEach((id, i) => {
      const entry = decodeQueueEntry(raws[i] ?? null, Number(flat[2 * i + 1]));
      if (entry && entry.id === id) entries.push(entry);
      else unreadable.push(id);
    });
    // Every tool adds a member and its entry in one transaction: a member without a readable entry is
    // debris that no tool can serve, and left there it would make every allocation look again for ever.
    if (unreadable.length > 0) await this.leave(unreadable);
    return entries;
  }

  async beat(id: string, now: number): Promise<boolean> {
    const raw = await this.access.call(() => this.redis.get(this.keys.entry(id)));
    if (raw === null) return false;
    const fields = JSON.parse(raw) as Record<string, unknown>;
    fields.last_heartbeat = new Date(now).toISOString();
    // XX: an entry removed meanwhile (as a ghost) is not brought back.
    const set = await this.access.call(() => this.redis.set(this.keys.entry(id), JSON.stringify(fields), 'XX'));
    return set === 'OK' && (await this.access.call(() => this.redis.zscore(this.keys.queue, id))) !== null;
  }

  async leave(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.access.call(() =>
      this.redis
        .multi()
        .zrem(this.keys.queue, ...ids)
        .del(...ids.map((id) => this.keys.entry(id)))
        .publish(this.keys.wake, 'leave')
        .exec(),
    );
  }

  /**
   * Tells whoever listens that the pool changed: waiters look again on a release, and the agent's status board
   * is written again on any change.
   */
  async wake(change: 'release' | 'allocate' | 'extend'): Promise<void> {
    await this.access.call(() => this.redis.publish(this.keys.wake, change));
  }

  async recordBackfill(b: Backfill): Promise<void> {
    await this.access.call(() =>
      this.redis
        .multi()
        .lpush(this.keys.backfills, JSON.stringify(b))
        .ltrim(this.keys.backfills, 0, BACKFILLS_KEPT - 1)
        .exec(),
    );
  }

  async backfills(): Promise<Backfill[]> {
    const raws = await this.access.call(() => this.redis.lrange(this.keys.backfills, 0, -1));
    const out: Backfill[] = [];
    for (const raw of raws.reverse()) {
      try {
        const b = JSON.parse(raw) as Backfill;
        if (typeof b.passed === 'string' && typeof b.user === 'string' && Array.isArray(b.gpus)) out.push(b);
      } catch {
        // not ours to read: left out
      }
    }
    return out;
  }

  /** Subscribes once, on a connection of its own (a subscribed connection can do nothing else). */
  private subscribe(): Promise<boolean> {
    this.subscribing ??= (async () => {
      const sub = duplicateOf(this.redis);
      sub.on('error', () => {}); // its trouble shows on the main connection's next call
      sub.on('message', () => {
        for (const listener of [...this.listeners]) listener();
      });
      try {
        await sub.connect();
        await sub.subscribe(this.keys.wake);
        this.subscriber = sub;
        return true;
      } catch {
        sub.disconnect(); // no pub/sub (an ACL without it): waiters look on their own timer
        return false;
      }
    })();
    return this.subscribing;
  }

  async changed(ms: number): Promise<boolean> {
    const subscribed = await this.subscribe();
    // Without pub/sub nothing is heard: the caller looks again soon, on its own.
    const wait = subscribed ? ms : Math.min(ms, 50);
    return new Promise<boolean>((resolve) => {
      const done = (heard: boolean) => {
        clearTimeout(timer);
        this.listeners.delete(told);
        resolve(heard);
      };
      const told = () => done(true);
      const timer = setTimeout(() => done(false), wait);
      this.listeners.add(told);
    });
  }

  close(): void {
    this.subscriber?.disconnect();
    this.subscriber = null;
  }
}
