// Memory store: the shared contract, plus its bounded size.
import { describe, expect, it } from 'vitest'
import { MemoryRateLimitStore } from './memory.ts'
import { rateLimitStoreContract } from './store.contract.ts'

rateLimitStoreContract('memory', async () => new MemoryRateLimitStore())

describe('memory store', () => {
  it('stays bounded: past maxKeys, expired and then oldest windows are dropped', async () => {
    let now = 0
    const store = new MemoryRateLimitStore({ now: () => new Date(now) }, 100)
    for (let i = 0; i < 100; i++) await store.hit(`old${i}`, 1000)
    now = 2000 // all expired
    for (let i = 0; i < 250; i++) await store.hit(`new${i}`, 10_000)
    expect(store.size).toBeLessThanOrEqual(100)
    expect((await store.peek('new249')).count).toBe(1)
  })

  it('uses the injected clock (tests move time instead of sleeping)', async () => {
    let now = 1_000_000
    const store = new MemoryRateLimitStore({ now: () => new Date(now) })
    await store.hit('k', 5000)
    now += 4999
    expect((await store.peek('k')).count).toBe(1)
    now += 1
    expect((await store.peek('k')).count).toBe(0)
  })
})
