// Limiter core: the store plus the two policies that share it (general rules, brute-force guard).
import type { RateLimitRule } from '../settings/settings.ts'
import { BruteForceGuard, type BruteForceLimits } from './brute-force.ts'
import type { RateLimitStore } from './store.ts'

export interface ConsumeResult { allowed: boolean; retryAfter: number; remaining: number }

export class RateLimiter {
  readonly bruteForce: BruteForceGuard

  constructor(readonly store: RateLimitStore, bruteForce: BruteForceLimits) {
    this.bruteForce = new BruteForceGuard(store, bruteForce)
  }

  /** One request against a general rule's fixed window (PocketBase: `maxRequests` per `duration` seconds). */
  async consume(key: string, rule: Pick<RateLimitRule, 'maxRequests' | 'duration'>): Promise<ConsumeResult> {
    const s = await this.store.hit(key, rule.duration * 1000)
    const allowed = s.count <= rule.maxRequests
    return { allowed, retryAfter: allowed ? 0 : Math.max(1, Math.ceil(s.resetMs / 1000)), remaining: Math.max(0, rule.maxRequests - s.count) }
  }

  close(): Promise<void> { return this.store.close() }
}
