import type { Redis as RedisClient, RedisOptions } from 'ioredis';
import { ServiceUnavailableError } from '../errors.js';
import { maskUrl } from '../mask.js';

export type { RedisClient };

export interface RedisConnectOptions {
  url: string;
  /** Prepended to every key (ioredis keyPrefix) and, by the event bus, to every channel. */
  prefix?: string;
  connectTimeoutMs?: number;
  /** Long-running processes (the daemon) reconnect with backoff; CLI runs fail fast. */
  reconnect?: boolean;
}

export function redisUnavailable(url: string, err: unknown): ServiceUnavailableError {
  const e = err as { code?: string; message?: string };
  const reason = e?.code ?? (e?.message ?? String(err)).split('\n')[0];
  return new ServiceUnavailableError('Redis', `Redis unavailable at ${maskUrl(url)}: ${reason}`, {
    hint: 'check that the server is running and JOBSPRINT_REDIS_URL is right',
    cause: err,
  });
}

/** Connect (lazily imported ioredis) and wait until ready, or fail within the connect timeout. */
export async function connectRedis(opts: RedisConnectOptions): Promise<RedisClient> {
  const { Redis } = await import('ioredis');
  const timeout = opts.connectTimeoutMs ?? 5000;
  const options: RedisOptions = {
    lazyConnect: true,
    keyPrefix: opts.prefix || undefined,
    connectTimeout: timeout,
    maxRetriesPerRequest: opts.reconnect ? 2 : 1,
    enableOfflineQueue: !!opts.reconnect,
    retryStrategy: opts.reconnect ? (times) => Math.min(100 * 2 ** Math.min(times, 6), 5000) : () => null,
  };
  const client = new Redis(opts.url, options);
  let lastError: unknown;
  client.on('error', (err) => {
    lastError = err;
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.connect(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })), timeout);
        timer.unref();
      }),
    ]);
  } catch (err) {
    client.disconnect();
    throw redisUnavailable(opts.url, lastError ?? err);
  } finally {
    if (timer) clearTimeout(timer);
  }
  return client;
}
