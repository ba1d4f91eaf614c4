// Redis store: the shared contract against a real Redis (skipped visibly without one), and the outage fallback.
import { describe, expect, it } from 'vitest'
import { probe, REDIS_URL } from '../../test/support/services.ts'
import { RedisRateLimitStore } from './redis.ts'
import { rateLimitStoreContract } from './store.contract.ts'

const up = probe('redis')
if (!up) console.warn(`SKIP redis: no Redis answered at ${REDIS_URL}; the Redis rate-limit store contract did not run.`)

const prefix = `basalt:rl:test:${process.pid}:${Date.now().toString(36)}:`

describe.skipIf(!up)('redis rate-limit store', () => {
  rateLimitStoreContract('redis', async () => {
    const store = new RedisRateLimitStore({ url: REDIS_URL, prefix })
    // Until connected, commands are answered by the fallback; the contract is about Redis itself.
    if (!(await store.ready())) throw new Error('Redis did not become ready')
    return store
  })
})

describe('redis rate-limit store without Redis', () => {
  it('§4.3: an unreachable Redis fails to a per-process limiter, never to "unlimited"', async () => {
    const errors: unknown[] = []
    const store = new RedisRateLimitStore({ url: 'redis://127.0.0.1:1', prefix, onError: (e) => errors.push(e) })
    try {
      const counts = []
      for (let i = 0; i < 5; i++) counts.push((await store.hit('k', 10_000)).count)
      expect(counts).toEqual([1, 2, 3, 4, 5])
      expect(store.isDegraded).toBe(true)
      await store.reset('k')
      expect((await store.peek('k')).count).toBe(0)
    } finally {
      await store.close()
    }
  })
})
