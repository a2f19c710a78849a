import { randomUUID } from 'node:crypto';
import type { Redis as RedisClient } from 'ioredis';
import type { Cache, EventBus, Lock, RateLimiter, RateLimitResult, Unsubscribe } from './types.js';

export class RedisCache implements Cache {
  constructor(private readonly r: RedisClient) {}
  get(key: string) {
    return this.r.get(key);
  }
  async set(key: string, value: string, ttlSeconds?: number) {
    if (ttlSeconds) await this.r.set(key, value, 'EX', Math.max(1, Math.ceil(ttlSeconds)));
    else await this.r.set(key, value);
  }
  async del(...keys: string[]) {
    if (keys.length) await this.r.del(...keys);
  }
  async hset(key: string, fields: Record<string, string>, ttlSeconds?: number) {
    const m = this.r.multi().hset(key, fields);
    if (ttlSeconds) m.expire(key, Math.max(1, Math.ceil(ttlSeconds)));
    await m.exec();
  }
  async hgetall(key: string) {
    const h = await this.r.hgetall(key);
    return Object.keys(h).length ? h : null;
  }
  async expire(key: string, ttlSeconds: number) {
    await this.r.expire(key, Math.max(1, Math.ceil(ttlSeconds)));
  }
}

/** Sliding window on a sorted set: one member per event, scored by its time. */
export class RedisRateLimiter implements RateLimiter {
  constructor(private readonly r: RedisClient) {}

  private async window(key: string, windowMs: number, record: boolean): Promise<RateLimitResult> {
    const now = Date.now();
    const m = this.r.multi().zremrangebyscore(key, 0, now - windowMs);
    if (record) m.zadd(key, now, `${now}-${randomUUID()}`).pexpire(key, windowMs);
    m.zcard(key).zrange(key, 0, 0, 'WITHSCORES');
    const res = (await m.exec()) ?? [];
    const count = Number(res[res.length - 2]?.[1] ?? 0);
    const oldest = res[res.length - 1]?.[1] as string[] | undefined;
    const oldestAt = oldest && oldest.length === 2 ? Number(oldest[1]) : 0;
    return { count, retryAfterMs: oldestAt ? Math.max(0, oldestAt + windowMs - now) : 0 };
  }
  peek(key: string, windowMs: number) {
    return this.window(key, windowMs, false);
  }
  record(key: string, windowMs: number) {
    return this.window(key, windowMs, true);
  }
  async reset(key: string) {
    await this.r.del(key);
  }
}

export class RedisLock implements Lock {
  constructor(private readonly r: RedisClient) {}
  async acquire(key: string, ttlMs: number) {
    const token = randomUUID();
    const ok = await this.r.set(key, token, 'PX', ttlMs, 'NX');
    if (ok !== 'OK') return null;
    return async () => {
      // Release only our own lock (it may have expired and been taken by another holder).
      await this.r.eval("if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end", 1, key, token);
    };
  }
}

/**
 * Pub/sub over Redis. ioredis' keyPrefix does not apply to channels, so the prefix is added
 * here; subscriptions use a duplicate connection, as Redis requires.
 */
export class RedisEventBus implements EventBus {
  private sub?: RedisClient;
  private readonly handlers = new Map<string, Set<(m: any) => void>>();

  constructor(
    private readonly r: RedisClient,
    private readonly prefix: string,
  ) {}

  async publish(channel: string, message: unknown) {
    await this.r.publish(this.prefix + channel, JSON.stringify(message));
  }

  async subscribe(channel: string, handler: (message: any) => void): Promise<Unsubscribe> {
    if (!this.sub) {
      this.sub = this.r.duplicate({ keyPrefix: undefined, enableOfflineQueue: true, lazyConnect: false });
      this.sub.on('error', () => {});
      this.sub.on('message', (ch: string, raw: string) => {
        const set = this.handlers.get(ch);
        if (!set) return;
        let msg: unknown;
        try {
          msg = JSON.parse(raw);
        } catch {
          return;
        }
        for (const h of set) h(msg);
      });
    }
    const full = this.prefix + channel;
    let set = this.handlers.get(full);
    if (!set) {
      set = new Set();
      this.handlers.set(full, set);
      await this.sub.subscribe(full);
    }
    set.add(handler);
    return async () => {
      set!.delete(handler);
      if (set!.size === 0) {
        this.handlers.delete(full);
        await this.sub?.unsubscribe(full).catch(() => {});
      }
    };
  }

  async close() {
    this.sub?.disconnect();
    this.sub = undefined;
    this.handlers.clear();
  }
}
