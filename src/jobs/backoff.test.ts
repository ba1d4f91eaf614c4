import { describe, expect, it } from 'vitest'
import { retryDelay } from './backoff.ts'

describe('retryDelay', () => {
  it('doubles per attempt up to the cap, without jitter', () => {
    const b = { baseMs: 100, maxMs: 1000, jitter: false }
    expect([1, 2, 3, 4, 5, 6].map((a) => retryDelay(a, b))).toEqual([100, 200, 400, 800, 1000, 1000])
  })
  it('jitter stays within [half, full] of the exponential delay', () => {
    const b = { baseMs: 1000, maxMs: 60_000 }
    expect(retryDelay(3, b, () => 0)).toBe(2000)
    expect(retryDelay(3, b, () => 1)).toBe(4000)
    const spread = new Set(Array.from({ length: 50 }, () => retryDelay(3, b)))
    expect(spread.size).toBeGreaterThan(1)
  })
  it('accepts a custom function', () => {
    expect(retryDelay(4, (a) => a * 10)).toBe(40)
  })
})
