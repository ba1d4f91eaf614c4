// Redis rate-limit store: one Lua script per operation (atomic across nodes), falling back to memory on outage.
import { Redis } from 'ioredis'
import type { Clock } from '../core/clock.ts'
import { MemoryRateLimitStore } from './memory.ts'
import type { RateLimitStore, WindowState } from './store.ts'

// INCR and the expiry are one script, so a crash or a concurrent caller can never leave a counter without a
// window (which would lock its key forever). PTTL/PEXPIRE use Redis' clock, not the nodes' (SECURITY.md §4.5).
const HIT = `
local c = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {c, ttl}`
// DECR keeps the TTL; a missing key is left missing (undo never opens a window).
const UNDO = `
local c = tonumber(redis.call('GET', KEYS[1]) or '0')
if c > 0 then return redis.call('DECR', KEYS[1]) end
return 0`
const PEEK = `
local c = tonumber(redis.call('GET', KEYS[1]) or '0')
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then return {0, 0} end
return {c, ttl}`

type Scripted = Redis & {
  rlHit(key: string, windowMs: number): Promise<[number, number]>
  rlUndo(key: string): Promise<number>
  rlPeek(key: string): Promise<[number, number]>
}

export interface RedisRateLimitOptions {
  url: string
  /** Prefix for every key (one Redis may serve several Basalt deployments). */
  prefix?: string
  /** A command slower than this counts as an outage and is answered by the fallback. */
  commandTimeoutMs?: number
  clock?: Clock
  /** Called once per outage (not per failed command). */
  onError?: (err: unknown) => void
}

/**
 * While Redis is unreachable the limits still hold per process (SECURITY.md §4.3: fail to a local limiter,
 * never to "unlimited"); counts made during the outage are not merged back when Redis returns.
 */
export class RedisRateLimitStore implements RateLimitStore {
  private readonly redis: Scripted
  private readonly fallback: MemoryRateLimitStore
  private readonly prefix: string
  private degraded = false

  constructor(private readonly opts: RedisRateLimitOptions) {
    this.prefix = opts.prefix ?? 'basalt:rl:'
    this.fallback = new MemoryRateLimitStore(opts.clock)
    const redis = new Redis(opts.url, {
      // No offline queue and no retries: a limiter check must answer within a request, not wait for Redis.
      enableOfflineQueue: false, maxRetriesPerRequest: 0, autoResendUnfulfilledCommands: false,
      commandTimeout: opts.commandTimeoutMs ?? 500, connectTimeout: 5000,
      retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
    })
    // Without an 'error' listener ioredis errors would be unhandled; the fallback takes over instead.
    redis.on('error', (err) => this.fail(err))
    redis.on('ready', () => { this.degraded = false })
    redis.defineCommand('rlHit', { numberOfKeys: 1, lua: HIT })
    redis.defineCommand('rlUndo', { numberOfKeys: 1, lua: UNDO })
    redis.defineCommand('rlPeek', { numberOfKeys: 1, lua: PEEK })
    this.redis = redis as Scripted
  }

  hit(key: string, windowMs: number): Promise<WindowState> {
    return this.run(async () => {
      const [count, ttl] = await this.redis.rlHit(this.prefix + key, Math.max(1, Math.ceil(windowMs)))
      return { count: Number(count), resetMs: Number(ttl) }
    }, () => this.fallback.hit(key, windowMs))
  }

  undo(key: string): Promise<void> {
    return this.run(async () => { await this.redis.rlUndo(this.prefix + key) }, () => this.fallback.undo(key))
  }

  peek(key: string): Promise<WindowState> {
    return this.run(async () => {
      const [count, ttl] = await this.redis.rlPeek(this.prefix + key)
      return { count: Number(count), resetMs: Number(ttl) }
    }, () => this.fallback.peek(key))
  }

  reset(key: string): Promise<void> {
    // Both: a lock taken in the fallback during an outage must be clearable too.
    return this.run(async () => { await this.redis.del(this.prefix + key); await this.fallback.reset(key) }, () => this.fallback.reset(key))
  }

  async close(): Promise<void> {
    await Promise.race([this.redis.quit().catch(() => {}), new Promise((r) => setTimeout(r, 500).unref())])
    this.redis.disconnect()
    await this.fallback.close()
  }

  /** Resolves once connected (or after `timeoutMs`): until then commands go to the fallback. */
  async ready(timeoutMs = 5000): Promise<boolean> {
    if (this.redis.status === 'ready') return true
    return new Promise((resolve) => {
      const done = (ok: boolean) => { clearTimeout(timer); this.redis.off('ready', onReady); resolve(ok) }
      const onReady = () => done(true)
      const timer = setTimeout(() => done(false), timeoutMs)
      this.redis.once('ready', onReady)
    })
  }

  /** True while commands are answered by the per-process fallback. */
  get isDegraded(): boolean { return this.degraded || this.redis.status !== 'ready' }

  private async run<T>(primary: () => Promise<T>, fallback: () => Promise<T>): Promise<T> {
    if (this.redis.status !== 'ready') return fallback()
    try {
      return await primary()
    } catch (err) {
      this.fail(err)
      return fallback()
    }
  }

  private fail(err: unknown): void {
    if (!this.degraded) this.opts.onError?.(err)
    this.degraded = true
  }
}
