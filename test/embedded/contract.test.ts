import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import type { Cache, EventBus, Lock, RateLimiter } from '../../src/core/services/types.js';
import { connectRedis, type RedisClient } from '../../src/core/services/redis.js';
import { RedisCache, RedisEventBus, RedisLock, RedisRateLimiter } from '../../src/core/services/redis-backends.js';
import { MemoryBroker, MemoryEventBus, MemoryStore, createMemoryBackends } from '../../src/core/services/memory-backends.js';
import { REDIS_URL } from '../helpers/urls.js';

/**
 * One contract, two implementations: the embedded mode's in-process backends must behave as
 * the Redis ones do, case for case. A case added here runs against both.
 */
interface Backends {
  cache: Cache;
  rateLimiter: RateLimiter;
  lock: Lock;
  bus: EventBus;
  /** A second, independent bus on the same server/process (another Core). */
  otherBus: EventBus;
}

const prefix = `test:contract:${randomBytes(4).toString('hex')}:`;
const redisClients: RedisClient[] = [];

const kinds: Array<[string, () => Promise<Backends>]> = [
  [
    'redis',
    async () => {
      const r = await connectRedis({ url: REDIS_URL, prefix });
      redisClients.push(r);
      return {
        cache: new RedisCache(r),
        rateLimiter: new RedisRateLimiter(r),
        lock: new RedisLock(r),
        bus: new RedisEventBus(r, prefix),
        otherBus: new RedisEventBus(r, prefix),
      };
    },
  ],
  [
    'memory',
    async () => {
      // Two buses on one broker: two Cores in one process.
      const broker = new MemoryBroker();
      return { ...createMemoryBackends(new MemoryStore(), broker), otherBus: new MemoryEventBus(broker) };
    },
  ],
];


const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let n = 0;
const key = (name: string) => `${name}:${++n}`;

/** Collects messages; waitFor(n) polls until n arrived or the time is up. */
function inbox() {
  const got: any[] = [];
  return {
    got,
    handler: (m: any) => got.push(m),
    async waitFor(count: number, ms = 2000) {
      const end = Date.now() + ms;
      while (got.length < count && Date.now() < end) await sleep(5);
      return got;
    },
  };
}

afterAll(async () => {
  for (const r of redisClients) {
    // KEYS takes a pattern, which ioredis leaves unprefixed, and returns full names; DEL takes
    // keys, which ioredis prefixes: strip the prefix first.
    const keys = await r.keys(`${prefix}*`).catch(() => [] as string[]);
    if (keys.length) await r.del(...keys.map((k) => k.slice(prefix.length))).catch(() => {});
    r.disconnect();
  }
});

describe.each(kinds)('%s backends', (_kind, make) => {
  let b: Backends;
  beforeAll(async () => {
    b = await make();
  });
  afterAll(async () => {
    await b?.bus.close();
    await b?.otherBus.close();
  });

  describe('cache', () => {
    it('gets what was set, null for a missing key, and deletes several keys at once', async () => {
      const k1 = key('c'), k2 = key('c');
      expect(await b.cache.get(k1)).toBeNull();
      await b.cache.set(k1, 'one');
      await b.cache.set(k2, 'two');
      expect(await b.cache.get(k1)).toBe('one');
      await b.cache.set(k1, 'uno');
      expect(await b.cache.get(k1)).toBe('uno');
      await b.cache.del(k1, k2, key('missing'));
      expect(await b.cache.get(k1)).toBeNull();
      expect(await b.cache.get(k2)).toBeNull();
      await b.cache.del();
    });

    it('expires a value after its TTL (whole seconds, rounded up)', async () => {
      const k = key('ttl');
      await b.cache.set(k, 'v', 0.2); // rounds up to 1 s
      await sleep(400);
      expect(await b.cache.get(k)).toBe('v');
      await sleep(800);
      expect(await b.cache.get(k)).toBeNull();
    });

    it('clears an earlier TTL when set again without one', async () => {
      const k = key('ttl-clear');
      await b.cache.set(k, 'v', 1);
      await b.cache.set(k, 'w');
      await sleep(1150);
      expect(await b.cache.get(k)).toBe('w');
    });

    it('stores hashes: merges fields, returns null when missing, expires with its TTL', async () => {
      const k = key('h');
      expect(await b.cache.hgetall(k)).toBeNull();
      await b.cache.hset(k, { a: '1', b: '2' }, 1);
      await b.cache.hset(k, { b: '3', c: '4' });
      expect(await b.cache.hgetall(k)).toEqual({ a: '1', b: '3', c: '4' });
      // hset without a TTL keeps the one the hash has.
      await sleep(1150);
      expect(await b.cache.hgetall(k)).toBeNull();
    });

    it('extends a key\'s life with expire, and ignores expire on a missing key', async () => {
      const k = key('h-exp');
      await b.cache.hset(k, { user: 'u1' }, 1);
      await b.cache.expire(k, 3);
      await sleep(1150);
      expect(await b.cache.hgetall(k)).toEqual({ user: 'u1' });
      await b.cache.expire(k, 0.1); // at least one second
      await sleep(400);
      expect(await b.cache.hgetall(k)).toEqual({ user: 'u1' });
      await sleep(800);
      expect(await b.cache.hgetall(k)).toBeNull();
      await b.cache.expire(key('nothing'), 5);
      expect(await b.cache.get(key('nothing'))).toBeNull();
    });

    it('refuses to read a hash as a string and vice versa (one keyspace)', async () => {
      const k = key('types');
      await b.cache.hset(k, { a: '1' });
      await expect(b.cache.get(k)).rejects.toThrow(/WRONGTYPE/);
      await b.cache.set(k, 'now a string');
      await expect(b.cache.hgetall(k)).rejects.toThrow(/WRONGTYPE/);
      expect(await b.cache.get(k)).toBe('now a string');
    });
  });

  describe('rate limiter', () => {
    it('counts events in a sliding window and says when the oldest leaves it', async () => {
      const k = key('rl');
      expect(await b.rateLimiter.peek(k, 1000)).toEqual({ count: 0, retryAfterMs: 0 });
      const first = await b.rateLimiter.record(k, 1000);
      expect(first.count).toBe(1);
      expect(first.retryAfterMs).toBeGreaterThan(900);
      expect(first.retryAfterMs).toBeLessThanOrEqual(1000);
      await sleep(500);
      const second = await b.rateLimiter.record(k, 1000);
      expect(second.count).toBe(2);
      // Still governed by the first (oldest) event.
      expect(second.retryAfterMs).toBeLessThanOrEqual(520);
      expect((await b.rateLimiter.peek(k, 1000)).count).toBe(2);
      await sleep(600);
      // The first event has slid out; the second remains.
      const later = await b.rateLimiter.peek(k, 1000);
      expect(later.count).toBe(1);
      expect(later.retryAfterMs).toBeGreaterThan(300);
      expect(later.retryAfterMs).toBeLessThanOrEqual(500);
    });

    it('does not record on peek, and forgets everything on reset', async () => {
      const k = key('rl-reset');
      await b.rateLimiter.peek(k, 60_000);
      await b.rateLimiter.peek(k, 60_000);
      expect((await b.rateLimiter.peek(k, 60_000)).count).toBe(0);
      for (let i = 0; i < 5; i++) await b.rateLimiter.record(k, 60_000);
      expect((await b.rateLimiter.peek(k, 60_000)).count).toBe(5);
      await b.rateLimiter.reset(k);
      expect(await b.rateLimiter.peek(k, 60_000)).toEqual({ count: 0, retryAfterMs: 0 });
    });

    it('keeps separate keys apart', async () => {
      const k1 = key('rl-a'), k2 = key('rl-b');
      await b.rateLimiter.record(k1, 60_000);
      await b.rateLimiter.record(k1, 60_000);
      await b.rateLimiter.record(k2, 60_000);
      expect((await b.rateLimiter.peek(k1, 60_000)).count).toBe(2);
      expect((await b.rateLimiter.peek(k2, 60_000)).count).toBe(1);
    });
  });

  describe('lock', () => {
    it('is exclusive until released', async () => {
      const k = key('lock');
      const release = await b.lock.acquire(k, 10_000);
      expect(release).toBeTypeOf('function');
      expect(await b.lock.acquire(k, 10_000)).toBeNull();
      await release!();
      const again = await b.lock.acquire(k, 10_000);
      expect(again).toBeTypeOf('function');
      await again!();
    });

    it('expires after its TTL so a crashed holder does not block forever', async () => {
      const k = key('lock-exp');
      expect(await b.lock.acquire(k, 200)).not.toBeNull();
      expect(await b.lock.acquire(k, 200)).toBeNull();
      await sleep(300);
      expect(await b.lock.acquire(k, 10_000)).not.toBeNull();
    });

    it('releases only its own lock, not one taken after it expired', async () => {
      const k = key('lock-own');
      const stale = await b.lock.acquire(k, 150);
      await sleep(250);
      const current = await b.lock.acquire(k, 10_000);
      expect(current).not.toBeNull();
      await stale!(); // too late: must not free the new holder's lock
      expect(await b.lock.acquire(k, 10_000)).toBeNull();
      await current!();
      expect(await b.lock.acquire(k, 10_000)).not.toBeNull();
    });

    it('lives in the same keyspace as the cache', async () => {
      const k = key('lock-ks');
      await b.cache.set(k, 'taken');
      expect(await b.lock.acquire(k, 10_000)).toBeNull();
      await b.cache.del(k);
      expect(await b.lock.acquire(k, 10_000)).not.toBeNull();
    });
  });

  describe('event bus', () => {
    it('delivers published JSON to subscribers of the channel only, as copies', async () => {
      const ch = key('ch');
      const a = inbox(), other = inbox();
      await b.bus.subscribe(ch, a.handler);
      await b.bus.subscribe(key('other-ch'), other.handler);
      const msg = { n: 1, at: new Date('2026-01-01T00:00:00Z'), nested: { x: [1, 2] }, gone: undefined };
      await b.bus.publish(ch, msg);
      await b.bus.publish(ch, 'plain string');
      expect(await a.waitFor(2)).toEqual([{ n: 1, at: '2026-01-01T00:00:00.000Z', nested: { x: [1, 2] } }, 'plain string']);
      expect(a.got[0]).not.toBe(msg);
      await sleep(50);
      expect(other.got).toEqual([]);
    });

    it('delivers across buses (another Core) in publish order', async () => {
      const ch = key('cross');
      const a = inbox();
      await b.otherBus.subscribe(ch, a.handler);
      for (let i = 0; i < 20; i++) await b.bus.publish(ch, { i });
      expect((await a.waitFor(20)).map((m) => m.i)).toEqual([...Array(20).keys()]);
    });

    it('stops delivering after unsubscribe, leaving other subscribers in place', async () => {
      const ch = key('unsub');
      const a = inbox(), c = inbox();
      const unsubA = await b.bus.subscribe(ch, a.handler);
      await b.bus.subscribe(ch, c.handler);
      await b.bus.publish(ch, 1);
      await a.waitFor(1);
      await c.waitFor(1);
      await unsubA();
      await b.bus.publish(ch, 2);
      expect(await c.waitFor(2)).toEqual([1, 2]);
      await sleep(50);
      expect(a.got).toEqual([1]);
    });

    it('ends every subscription of a bus on close, but not those of another bus', async () => {
      const ch = key('close');
      const mine = inbox(), theirs = inbox();
      const own = await make();
      await own.bus.subscribe(ch, mine.handler);
      await own.otherBus.subscribe(ch, theirs.handler);
      // Both subscriptions work before the close (the same broker or Redis for both buses) …
      await own.otherBus.publish(ch, 'before close');
      expect(await mine.waitFor(1)).toEqual(['before close']);
      expect(await theirs.waitFor(1)).toEqual(['before close']);
      await own.bus.close();
      // … and only the closed bus's ends.
      await own.otherBus.publish(ch, 'after close');
      expect(await theirs.waitFor(2)).toEqual(['before close', 'after close']);
      await sleep(50);
      expect(mine.got).toEqual(['before close']);
      await own.otherBus.close();
    });
  });
});
