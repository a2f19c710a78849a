import { randomUUID } from 'node:crypto';
import { Config } from './config.js';
import { ServiceUnavailableError } from './errors.js';
import type { Db } from './db/types.js';
import type { RedisClient } from './services/redis.js';
import type { AmqpConnection } from './services/amqp.js';
import { VERSION } from './version.js';
import type { Cache, EventBus, Lock, RateLimiter } from './services/types.js';

export interface CoreOptions {
  config?: Config;
  requestId?: string;
  /** Long-running processes reconnect to Redis instead of failing fast. */
  longRunning?: boolean;
}

/**
 * A lazy factory for the services a command needs: nothing connects until asked for, so
 * `--help` and commands that need only PostgreSQL never touch Redis or RabbitMQ.
 */
export class Core {
  readonly config: Config;
  /** One per CLI invocation; recorded in every audit row it writes. */
  readonly requestId: string;
  readonly userAgent = `jobsprint-cli/${VERSION}`;
  private readonly longRunning: boolean;
  private dbPromise?: Promise<Db>;
  private redisPromise?: Promise<RedisClient>;
  private amqpPromise?: Promise<AmqpConnection>;
  private readonly cleanups: Array<() => Promise<void> | void> = [];

  constructor(opts: CoreOptions = {}) {
    this.config = opts.config ?? new Config();
    this.requestId = opts.requestId ?? randomUUID();
    this.longRunning = !!opts.longRunning;
  }

  get connectTimeoutMs(): number {
    return this.config.getNumber('connect_timeout_ms');
  }

  db(): Promise<Db> {
    this.dbPromise ??= (async () => {
      const url = this.config.get('database_url');
      if (!url) {
        const { openEmbedded } = await import('./db/embedded.js');
        const db = await openEmbedded(this.config);
        this.onClose(() => db.close());
        return db;
      }
      const { createPostgres } = await import('./db/postgres.js');
      const db = await createPostgres({ url, connectTimeoutMs: this.connectTimeoutMs });
      this.onClose(() => db.close());
      return db;
    })();
    return this.dbPromise;
  }

  hasRedis(): boolean {
    return !!this.config.get('redis_url');
  }

  redis(): Promise<RedisClient> {
    this.redisPromise ??= (async () => {
      const url = this.config.get('redis_url');
      if (!url) throw new ServiceUnavailableError('Redis', 'Redis is not configured', { hint: 'set JOBSPRINT_REDIS_URL' });
      const { connectRedis } = await import('./services/redis.js');
      const client = await connectRedis({
        url,
        prefix: this.config.get('redis_prefix'),
        connectTimeoutMs: this.connectTimeoutMs,
        reconnect: this.longRunning,
      });
      this.onClose(() => void client.disconnect());
      return client;
    })();
    // A failed connect is not remembered: a long-running process retries on the next call.
    this.redisPromise.catch(() => (this.redisPromise = undefined));
    return this.redisPromise;
  }

  hasAmqp(): boolean {
    return !!this.config.get('amqp_url');
  }

  amqp(): Promise<AmqpConnection> {
    this.amqpPromise ??= (async () => {
      const url = this.config.get('amqp_url');
      if (!url) throw new ServiceUnavailableError('RabbitMQ', 'RabbitMQ is not configured', { hint: 'set JOBSPRINT_AMQP_URL' });
      const { connectAmqp } = await import('./services/amqp.js');
      const conn = await connectAmqp(url, this.connectTimeoutMs);
      this.onClose(async () => {
        await conn.close().catch(() => {});
      });
      return conn;
    })();
    this.amqpPromise.catch(() => (this.amqpPromise = undefined));
    return this.amqpPromise;
  }

  private backendsPromise?: Promise<{ cache: Cache; rateLimiter: RateLimiter; lock: Lock; bus: EventBus }>;

  /**
   * Cache, rate limiter, lock and event bus: Redis-backed when JOBSPRINT_REDIS_URL is set,
   * in-process otherwise (the embedded mode).
   */
  backends(): Promise<{ cache: Cache; rateLimiter: RateLimiter; lock: Lock; bus: EventBus }> {
    this.backendsPromise ??= (async () => {
      if (this.hasRedis()) {
        const client = await this.redis();
        const { RedisCache, RedisRateLimiter, RedisLock, RedisEventBus } = await import('./services/redis-backends.js');
        const bus = new RedisEventBus(client, this.config.get('redis_prefix') ?? '');
        this.onClose(() => bus.close());
        return { cache: new RedisCache(client), rateLimiter: new RedisRateLimiter(client), lock: new RedisLock(client), bus };
      }
      const { memoryBackends } = await import('./services/memory-backends.js');
      return memoryBackends();
    })();
    this.backendsPromise.catch(() => (this.backendsPromise = undefined));
    return this.backendsPromise;
  }

  async cache(): Promise<Cache> {
    return (await this.backends()).cache;
  }

  async rateLimiter(): Promise<RateLimiter> {
    return (await this.backends()).rateLimiter;
  }

  async lock(): Promise<Lock> {
    return (await this.backends()).lock;
  }

  async bus(): Promise<EventBus> {
    return (await this.backends()).bus;
  }

  /** Register a cleanup; `close()` runs them all, newest first. */
  onClose(fn: () => Promise<void> | void): void {
    this.cleanups.push(fn);
  }

  async close(): Promise<void> {
    while (this.cleanups.length) {
      const fn = this.cleanups.pop()!;
      try {
        await fn();
      } catch {
        // Best effort: a failing cleanup must not hide the command's own result.
      }
    }
  }
}
