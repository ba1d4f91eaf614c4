// Picks the rate-limit store for a node: Redis when the cluster has one (shared counters), else in-process.
import { processLogger, type Logger } from '../observability/logger.ts'
import type { Config } from '../config.ts'
import type { Clock } from '../core/clock.ts'
import { MemoryRateLimitStore } from './memory.ts'
import { RedisRateLimitStore } from './redis.ts'
import type { RateLimitStore } from './store.ts'

export function openRateLimitStore(config: Config, clock: Clock, logger: Pick<Logger, 'warn'> = processLogger()): RateLimitStore {
  if (!config.redisUrl) return new MemoryRateLimitStore(clock)
  return new RedisRateLimitStore({
    url: config.redisUrl,
    // Several nodes of one deployment share counters; separate deployments on one Redis must not.
    prefix: `basalt:rl:${config.redisPrefix ?? 'default'}:`,
    clock,
    onError: (err) => logger.warn(`ratelimit: Redis unavailable, counting per process until it returns: ${(err as Error)?.message ?? err}`),
  })
}
