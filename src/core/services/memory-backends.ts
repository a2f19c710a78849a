import type { Cache, EventBus, Lock, RateLimiter } from './types.js';
import { ServiceUnavailableError } from '../errors.js';

/** In-process cache, limiter, lock and bus for the embedded mode (no Redis configured). */
export function memoryBackends(): { cache: Cache; rateLimiter: RateLimiter; lock: Lock; bus: EventBus } {
  throw new ServiceUnavailableError('Redis', 'Redis is not configured', { hint: 'set JOBSPRINT_REDIS_URL' });
}
