/**
 * The small service interfaces the core is written against. Redis implements them in
 * production (redis-backends.ts); an in-process implementation serves the embedded mode.
 * Keys are logical (e.g. `session:{id}`); the backend adds its prefix.
 */
export interface Cache {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlSeconds?: number): Promise<void>;
  del(...keys: string[]): Promise<void>;
  /** A hash with a TTL (sessions). */
  hset(key: string, fields: Record<string, string>, ttlSeconds?: number): Promise<void>;
  hgetall(key: string): Promise<Record<string, string> | null>;
  expire(key: string, ttlSeconds: number): Promise<void>;
}

export interface RateLimitResult {
  /** Events inside the window, including this one when recorded. */
  count: number;
  /** When the oldest event in the window leaves it (ms from now); 0 when empty. */
  retryAfterMs: number;
}

/** Sliding-window counters (login failures per email). */
export interface RateLimiter {
  /** Count events in the last windowMs without recording one. */
  peek(key: string, windowMs: number): Promise<RateLimitResult>;
  /** Record one event now and return the window's count. */
  record(key: string, windowMs: number): Promise<RateLimitResult>;
  reset(key: string): Promise<void>;
}

export interface Lock {
  /** Try once; returns a release function, or null when someone else holds it. */
  acquire(key: string, ttlMs: number): Promise<(() => Promise<void>) | null>;
}

export type Unsubscribe = () => Promise<void>;

/** Pub/sub of JSON messages (live execution events, cancel requests). */
export interface EventBus {
  publish(channel: string, message: unknown): Promise<void>;
  subscribe(channel: string, handler: (message: any) => void): Promise<Unsubscribe>;
  close(): Promise<void>;
}
