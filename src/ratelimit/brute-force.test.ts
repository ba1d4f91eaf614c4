// Brute-force guard: reserve-before-verify, per identity and per IP, success semantics, parallel bursts.
import { describe, expect, it } from 'vitest'
import { BruteForceGuard, normalizeIdentity } from './brute-force.ts'
import { MemoryRateLimitStore } from './memory.ts'

const make = (perIdentity = 3, perIp = 5) => new BruteForceGuard(new MemoryRateLimitStore(), { perIdentity, perIp, windowSeconds: 300 })
const id = (value: string) => ({ scope: 'users', value: normalizeIdentity(value)! })

describe('brute-force guard', () => {
  it('normalizes identities: case, surrounding space and compatibility forms share one counter', () => {
    expect(normalizeIdentity('  Ann@Example.COM ')).toBe('ann@example.com')
    expect(normalizeIdentity('ａｎｎ@example.com')).toBe('ann@example.com')
    expect(normalizeIdentity('')).toBeNull()
    expect(normalizeIdentity(42)).toBeNull()
    expect(normalizeIdentity('x'.repeat(256))).toBeNull()
  })

  it('locks an identity after perIdentity failures, with a Retry-After within the window', async () => {
    const g = make()
    for (let i = 0; i < 3; i++) {
      const r = await g.begin(`10.0.0.${i}`, id('ann@x.io'))
      expect(r.ok).toBe(true)
      if (r.ok) await g.failed(r.attempt)
    }
    const locked = await g.begin('10.0.0.9', id('ANN@x.io'))
    expect(locked).toMatchObject({ ok: false })
    if (!locked.ok) expect(locked.retryAfter).toBeGreaterThan(290)
    expect((await g.begin('10.0.0.9', id('bob@x.io'))).ok).toBe(true)
  })

  it('locks an IP after perIp failures across identities', async () => {
    const g = make(100, 5)
    for (let i = 0; i < 5; i++) {
      const r = await g.begin('1.1.1.1', id(`u${i}@x.io`))
      if (r.ok) await g.failed(r.attempt)
    }
    expect((await g.begin('1.1.1.1', id('new@x.io'))).ok).toBe(false)
    expect((await g.begin('2.2.2.2', id('new@x.io'))).ok).toBe(true)
  })

  it('M9: 50 parallel attempts on one identity — at most perIdentity get to verify', async () => {
    const g = make(10, 1000)
    const results = await Promise.all(Array.from({ length: 50 }, () => g.begin('1.1.1.1', id('ann@x.io'))))
    expect(results.filter((r) => r.ok)).toHaveLength(10)
  })

  it('success resets the identity but only gives the IP its own attempt back', async () => {
    const g = make(3, 5)
    for (let i = 0; i < 2; i++) { const r = await g.begin('1.1.1.1', id('ann@x.io')); if (r.ok) await g.failed(r.attempt) }
    const ok = await g.begin('1.1.1.1', id('ann@x.io'))
    if (ok.ok) await g.succeeded(ok.attempt)
    // Identity: 3 more failures allowed again. IP: 2 failures remain counted, so only 3 more.
    for (let i = 0; i < 3; i++) { const r = await g.begin('1.1.1.1', id('ann@x.io')); expect(r.ok).toBe(true); if (r.ok) await g.failed(r.attempt) }
    expect((await g.begin('1.1.1.1', id('zed@x.io'))).ok).toBe(false)
  })

  it('a rejected (locked) attempt does not count; a neutral outcome gives the attempt back', async () => {
    const store = new MemoryRateLimitStore()
    const g = new BruteForceGuard(store, { perIdentity: 1, perIp: 100, windowSeconds: 300 })
    const r = await g.begin('1.1.1.1', id('ann@x.io'))
    if (r.ok) await g.neutral(r.attempt)
    const again = await g.begin('1.1.1.1', id('ann@x.io'))
    expect(again.ok).toBe(true)
    if (again.ok) await g.failed(again.attempt)
    for (let i = 0; i < 5; i++) expect((await g.begin('1.1.1.1', id('ann@x.io'))).ok).toBe(false)
    // The 5 rejected requests verified nothing, so the IP has only the one real failure on it.
    expect((await store.peek('bf:ip:1.1.1.1')).count).toBe(1)
  })
})
