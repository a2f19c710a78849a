import { randomUUID } from 'node:crypto';
import type { Cache, EventBus, Lock, RateLimiter, RateLimitResult, Unsubscribe } from './types.js';

/**
 * In-process cache, rate limiter, lock and event bus for the embedded mode (no Redis). They
 * follow the Redis implementations (redis-backends.ts) closely, down to the details callers can
 * see: one keyspace shared by all four (a lock key is visible to `cache.get`, `cache.del` resets
 * a limiter), TTLs in whole seconds rounded up, a hash keeping its TTL across `hset` without one,
 * messages delivered as JSON copies after `publish` returns. test/embedded/contract.test.ts runs
 * the same cases against both.
 *
 * Every Core in the process shares one store and one broker, as every Core shares one Redis:
 * an execution running in-process publishes to the same bus `run --follow` listens on.
 * Expiry is checked on access (no timers keep the process alive), plus an occasional sweep.
 */
type Entry =
  | { kind: 'string'; value: string; expiresAt: number }
  | { kind: 'hash'; value: Map<string, string>; expiresAt: number }
  | { kind: 'zset'; value: Array<{ score: number; member: string }>; expiresAt: number };

const NO_EXPIRY = Number.POSITIVE_INFINITY;

function wrongType(): Error {
  return new Error('WRONGTYPE Operation against a key holding the wrong kind of value');
}

function ttlMs(seconds: number): number {
  return Math.max(1, Math.ceil(seconds)) * 1000;
}

export class MemoryStore {
  private readonly data = new Map<string, Entry>();
  private writes = 0;

  get(key: string): Entry | undefined {
    const e = this.data.get(key);
    if (!e) return undefined;
    if (e.expiresAt <= Date.now()) {
      this.data.delete(key);
      return undefined;
    }
    return e;
  }

  put(key: string, entry: Entry): void {
    this.data.set(key, entry);
    if (++this.writes % 1000 === 0) this.sweep();
  }

  delete(key: string): boolean {
    return this.data.delete(key);
  }

  private sweep(): void {
    const now = Date.now();
    for (const [k, e] of this.data) if (e.expiresAt <= now) this.data.delete(k);
  }
}

export class MemoryCache implements Cache {
  constructor(private readonly store: MemoryStore) {}

  async get(key: string): Promise<string | null> {
    const e = this.store.get(key);
    if (!e) return null;
    if (e.kind !== 'string') throw wrongType();
    return e.value;
  }

  async set(key: string, value: string, ttlSeconds?: number): Promise<void> {
    // Like SET: replaces any value of any type and clears an earlier TTL.
    this.store.put(key, { kind: 'string', value, expiresAt: ttlSeconds ? Date.now() + ttlMs(ttlSeconds) : NO_EXPIRY });
  }

  async del(...keys: string[]): Promise<void> {
    for (const k of keys) this.store.delete(k);
  }

  async hset(key: string, fields: Record<string, string>, ttlSeconds?: number): Promise<void> {
    const e = this.store.get(key);
    if (e && e.kind !== 'hash') throw wrongType();
    const hash = e ?? { kind: 'hash' as const, value: new Map<string, string>(), expiresAt: NO_EXPIRY };
    for (const [f, v] of Object.entries(fields)) hash.value.set(f, String(v));
    if (ttlSeconds) hash.expiresAt = Date.now() + ttlMs(ttlSeconds);
    this.store.put(key, hash);
  }

  async hgetall(key: string): Promise<Record<string, string> | null> {
    const e = this.store.get(key);
    if (!e) return null;
    if (e.kind !== 'hash') throw wrongType();
    return Object.fromEntries(e.value);
  }

  async expire(key: string, ttlSeconds: number): Promise<void> {
    const e = this.store.get(key);
    if (e) e.expiresAt = Date.now() + ttlMs(ttlSeconds);
  }
}

/** Sliding window: one timestamp per event, pruned on every look, like the Redis sorted set. */
export class MemoryRateLimiter implements RateLimiter {
  constructor(private readonly store: MemoryStore) {}

  private window(key: string, windowMs: number, record: boolean): RateLimitResult {
    const now = Date.now();
    const e = this.store.get(key);
    if (e && e.kind !== 'zset') throw wrongType();
    let events = e ? e.value.filter((x) => x.score > now - windowMs) : [];
    if (record) {
      events.push({ score: now, member: `${now}-${randomUUID()}` });
      events.sort((a, b) => a.score - b.score);
    }
    if (events.length) this.store.put(key, { kind: 'zset', value: events, expiresAt: record ? now + windowMs : (e?.expiresAt ?? NO_EXPIRY) });
    else if (e) this.store.delete(key);
    const oldestAt = events[0]?.score ?? 0;
    return { count: events.length, retryAfterMs: oldestAt ? Math.max(0, oldestAt + windowMs - now) : 0 };
  }

  async peek(key: string, windowMs: number): Promise<RateLimitResult> {
    return this.window(key, windowMs, false);
  }

  async record(key: string, windowMs: number): Promise<RateLimitResult> {
    return this.window(key, windowMs, true);
  }

  async reset(key: string): Promise<void> {
    this.store.delete(key);
  }
}

export class MemoryLock implements Lock {
  constructor(private readonly store: MemoryStore) {}

  async acquire(key: string, ttlMs: number): Promise<(() => Promise<void>) | null> {
    if (this.store.get(key)) return null;
    const token = randomUUID();
    this.store.put(key, { kind: 'string', value: token, expiresAt: Date.now() + Math.max(1, ttlMs) });
    return async () => {
      // Release only our own lock (it may have expired and been taken by another holder).
      const e = this.store.get(key);
      if (e?.kind === 'string' && e.value === token) this.store.delete(key);
    };
  }
}

/** Channels and their handlers, shared by every MemoryEventBus of the process. */
export class MemoryBroker {
  private readonly channels = new Map<string, Set<(m: any) => void>>();

  publish(channel: string, message: unknown): void {
    // Subscribers get a JSON copy, as they would from Redis: no shared references, Dates as strings.
    const raw = JSON.stringify(message);
    if (raw === undefined) return;
    const set = this.channels.get(channel);
    if (!set?.size) return;
    for (const h of [...set]) {
      // Delivered after publish returns, in publish order; a handler unsubscribed meanwhile
      // gets nothing, and a throwing handler cannot break the publisher or its siblings.
      setImmediate(() => {
        if (!set.has(h)) return;
        try {
          h(JSON.parse(raw));
        } catch {
          // ignored, as a failing Redis message listener would not reach the publisher
        }
      });
    }
  }

  add(channel: string, handler: (m: any) => void): void {
    let set = this.channels.get(channel);
    if (!set) this.channels.set(channel, (set = new Set()));
    set.add(handler);
  }

  remove(channel: string, handler: (m: any) => void): void {
    const set = this.channels.get(channel);
    if (!set) return;
    set.delete(handler);
    if (!set.size) this.channels.delete(channel);
  }
}

/**
 * Mirrors RedisEventBus: per channel a set of handlers (subscribing the same handler twice is
 * one subscription), one listener per channel on the shared broker.
 */
export class MemoryEventBus implements EventBus {
  private readonly handlers = new Map<string, { set: Set<(m: any) => void>; listener: (m: any) => void }>();

  constructor(private readonly broker: MemoryBroker) {}

  async publish(channel: string, message: unknown): Promise<void> {
    this.broker.publish(channel, message);
  }

  async subscribe(channel: string, handler: (message: any) => void): Promise<Unsubscribe> {
    let sub = this.handlers.get(channel);
    if (!sub) {
      const set = new Set<(m: any) => void>();
      const listener = (m: any) => {
        for (const h of set) h(m);
      };
      sub = { set, listener };
      this.handlers.set(channel, sub);
      this.broker.add(channel, listener);
    }
    const current = sub;
    current.set.add(handler);
    return async () => {
      current.set.delete(handler);
      if (current.set.size === 0 && this.handlers.get(channel) === current) {
        this.handlers.delete(channel);
        this.broker.remove(channel, current.listener);
      }
    };
  }

  async close(): Promise<void> {
    for (const [channel, sub] of this.handlers) this.broker.remove(channel, sub.listener);
    this.handlers.clear();
  }
}

export interface MemoryBackends {
  cache: Cache;
  rateLimiter: RateLimiter;
  lock: Lock;
  bus: EventBus;
}

let shared: { store: MemoryStore; broker: MemoryBroker } | undefined;

/** The process-wide in-process backends (what Core uses without Redis). */
export function memoryBackends(): MemoryBackends {
  shared ??= { store: new MemoryStore(), broker: new MemoryBroker() };
  return createMemoryBackends(shared.store, shared.broker);
}

/** Backends over a given (or a fresh, private) store and broker; tests use private ones. */
export function createMemoryBackends(store = new MemoryStore(), broker = new MemoryBroker()): MemoryBackends {
  return { cache: new MemoryCache(store), rateLimiter: new MemoryRateLimiter(store), lock: new MemoryLock(store), bus: new MemoryEventBus(broker) };
}
