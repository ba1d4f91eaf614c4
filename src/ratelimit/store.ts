// The rate-limit store port: atomic fixed-window counters shared by the general limiter and the brute-force guard.

/** A counter inside its window: `count` after the operation, `resetMs` until the window closes (0 = no window). */
export interface WindowState { count: number; resetMs: number }

/**
 * One interface, two adapters (`memory.ts` per process, `redis.ts` per cluster), proven by one contract
 * suite (`store.contract.ts`).
 *
 * Contract:
 * - `hit` is atomic: N concurrent hits on a key yield the counts 1..N exactly once each, so a burst of
 *   parallel wrong passwords can never be under-counted (SECURITY.md M9).
 * - A window is fixed: it starts at the first hit of an absent/expired key and is never extended by
 *   later hits, so hammering a locked key does not lock it for longer.
 * - `undo` gives back one hit of the current window; it never creates a window nor goes below 0.
 *
 * Not in the contract: exactness across a Redis outage (the Redis adapter then counts per process),
 * sliding windows, persistence across restarts, and clock agreement between nodes (Redis keeps time).
 */
export interface RateLimitStore {
  hit(key: string, windowMs: number): Promise<WindowState>
  undo(key: string): Promise<void>
  peek(key: string): Promise<WindowState>
  reset(key: string): Promise<void>
  close(): Promise<void>
}
