// Retry delays: exponential backoff with jitter, so failing jobs of many workers do not retry in lockstep.
import type { BackoffOptions } from './types.ts'

export const DEFAULT_BACKOFF: Required<BackoffOptions> = { baseMs: 1000, maxMs: 60 * 60 * 1000, jitter: true }

/** Delay before the attempt after `attempt` (1-based) failed. */
export function retryDelay(attempt: number, backoff: BackoffOptions | ((attempt: number) => number) = {}, random = Math.random): number {
  if (typeof backoff === 'function') return Math.max(0, backoff(attempt))
  const { baseMs, maxMs, jitter } = { ...DEFAULT_BACKOFF, ...backoff }
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1))
  // "Equal jitter": at least half the delay, so retries still back off, spread over the other half.
  return Math.round(jitter ? exp / 2 + random() * (exp / 2) : exp)
}
