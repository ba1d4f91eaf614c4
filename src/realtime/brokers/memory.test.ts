// MemoryBroker: the shared broker contract plus in-process specifics.
import { describe, expect, it, vi } from 'vitest'
import { brokerContract, event, waitFor } from './broker.contract.ts'
import { MemoryBroker } from './memory.ts'

brokerContract('memory', () => new MemoryBroker({ onError: () => {} }))

describe('MemoryBroker', () => {
  it('reports subscriber errors to onError instead of crashing', async () => {
    const onError = vi.fn()
    const b = new MemoryBroker({ onError })
    b.subscribe(() => {
      throw new Error('sync')
    })
    b.subscribe((() => Promise.reject(new Error('async'))) as unknown as () => void)
    await b.publish(event(1))
    await waitFor(() => onError.mock.calls.length === 2)
    expect(onError.mock.calls.map((c) => (c[0] as Error).message).sort()).toEqual(['async', 'sync'])
    await b.close()
  })

  it('does not deliver an earlier publish to a subscriber added after it', async () => {
    const b = new MemoryBroker()
    const late: number[] = []
    await b.publish(event(1))
    b.subscribe((e) => late.push(e.seq!))
    await b.publish(event(2))
    await waitFor(() => late.length === 1)
    expect(late).toEqual([2])
    await b.close()
  })

  it('delivers the same function subscribed twice twice, and unsubscribes each independently', async () => {
    const b = new MemoryBroker()
    const got: number[] = []
    const h = (e: { seq?: number }) => got.push(e.seq!)
    const off1 = b.subscribe(h)
    b.subscribe(h)
    off1()
    await b.publish(event(1))
    await waitFor(() => got.length === 1)
    await new Promise((r) => setTimeout(r, 10))
    expect(got).toEqual([1])
    await b.close()
  })

  it('close waits for a running delivery', async () => {
    const b = new MemoryBroker()
    let done = false
    b.subscribe(() => {
      done = true
    })
    await b.publish(event(1))
    // close right away: the scheduled delivery is dropped or finished, never half-run afterwards
    await b.close()
    const snapshot = done
    await new Promise((r) => setTimeout(r, 10))
    expect(done).toBe(snapshot)
  })
})
