// In-process rate-limit store: a Map of fixed windows; every operation is synchronous, hence atomic.
import type { Clock } from '../core/clock.ts'
import { systemClock } from '../core/clock.ts'
import type { RateLimitStore, WindowState } from './store.ts'

/** Above this many live keys, expired ones are swept and then the oldest windows dropped (bounded memory). */
const DEFAULT_MAX_KEYS = 100_000

interface Entry { count: number; resetAt: number }

export class MemoryRateLimitStore implements RateLimitStore {
  private readonly entries = new Map<string, Entry>()

  constructor(private readonly clock: Clock = systemClock, private readonly maxKeys = DEFAULT_MAX_KEYS) {}

  // The methods are async only to match the port; their bodies never await, so no interleaving can
  // happen between reading and writing a counter.
  async hit(key: string, windowMs: number): Promise<WindowState> {
    const now = this.now()
    let e = this.live(key, now)
    if (!e) {
      if (this.entries.size >= this.maxKeys) this.evict(now)
      e = { count: 0, resetAt: now + windowMs }
      this.entries.set(key, e)
    }
    e.count++
    return { count: e.count, resetMs: e.resetAt - now }
  }

  async undo(key: string): Promise<void> {
    const e = this.live(key, this.now())
    if (e && e.count > 0) e.count--
  }

  async peek(key: string): Promise<WindowState> {
    const now = this.now()
    const e = this.live(key, now)
    return e ? { count: e.count, resetMs: e.resetAt - now } : { count: 0, resetMs: 0 }
  }

  async reset(key: string): Promise<void> {
    this.entries.delete(key)
  }

  async close(): Promise<void> {
    this.entries.clear()
  }

  get size(): number { return this.entries.size }

  private now(): number { return this.clock.now().getTime() }

  private live(key: string, now: number): Entry | undefined {
    const e = this.entries.get(key)
    if (e && e.resetAt <= now) { this.entries.delete(key); return undefined }
    return e
  }

  /**
   * Expired windows go first; if that is not enough, the oldest-inserted windows (Map order), which are
   * also the closest to expiry. Dropping a live counter can only under-count, so the cap is generous.
   */
  private evict(now: number): void {
    for (const [k, e] of this.entries) if (e.resetAt <= now) this.entries.delete(k)
    for (const k of this.entries.keys()) {
      if (this.entries.size < this.maxKeys * 0.9) break
      this.entries.delete(k)
    }
  }
}
