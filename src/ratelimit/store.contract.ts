// Shared contract suite for RateLimitStore adapters (memory, Redis): atomic counting, fixed windows, undo/reset.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RateLimitStore } from './store.ts'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
let seq = 0
const key = (name: string) => `contract:${process.pid}:${Date.now().toString(36)}:${++seq}:${name}`

export function rateLimitStoreContract(name: string, make: () => Promise<RateLimitStore>) {
  describe(`rate-limit store contract: ${name}`, () => {
    let store: RateLimitStore
    beforeAll(async () => { store = await make() })
    afterAll(async () => { await store?.close() })

    it('counts hits 1, 2, 3 inside one window and reports the time left', async () => {
      const k = key('count')
      const a = await store.hit(k, 10_000)
      const b = await store.hit(k, 10_000)
      const c = await store.hit(k, 10_000)
      expect([a.count, b.count, c.count]).toEqual([1, 2, 3])
      expect(c.resetMs).toBeGreaterThan(9_000)
      expect(c.resetMs).toBeLessThanOrEqual(10_000)
      expect((await store.peek(k)).count).toBe(3)
    })

    it('M9: 100 concurrent hits are each counted exactly once (1..100, no lost update)', async () => {
      const k = key('parallel')
      const results = await Promise.all(Array.from({ length: 100 }, () => store.hit(k, 10_000)))
      expect(results.map((r) => r.count).sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1))
      expect((await store.peek(k)).count).toBe(100)
    })

    it('the window is fixed: later hits do not extend it, and a new window starts from 1', async () => {
      const k = key('window')
      const first = await store.hit(k, 300)
      await sleep(150)
      const second = await store.hit(k, 300)
      expect(second.resetMs).toBeLessThanOrEqual(first.resetMs - 100)
      await sleep(second.resetMs + 50)
      expect((await store.peek(k)).count).toBe(0)
      expect((await store.hit(k, 300)).count).toBe(1)
    })

    it('undo gives one hit back, never goes below zero, never opens a window', async () => {
      const k = key('undo')
      await store.hit(k, 10_000)
      await store.hit(k, 10_000)
      await store.undo(k)
      expect((await store.peek(k)).count).toBe(1)
      await store.undo(k)
      await store.undo(k)
      expect((await store.peek(k)).count).toBe(0)
      const fresh = key('undo-missing')
      await store.undo(fresh)
      expect(await store.peek(fresh)).toEqual({ count: 0, resetMs: 0 })
    })

    it('reset forgets a key; other keys are untouched', async () => {
      const a = key('reset-a'), b = key('reset-b')
      await store.hit(a, 10_000)
      await store.hit(b, 10_000)
      await store.reset(a)
      expect((await store.peek(a)).count).toBe(0)
      expect((await store.peek(b)).count).toBe(1)
      expect((await store.hit(a, 10_000)).count).toBe(1)
    })
  })
}
