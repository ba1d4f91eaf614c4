// Shared behaviour every Broker implementation must pass; run it from each adapter's test file.
import { afterEach, describe, expect, it } from 'vitest'
import type { Broker, ChangeEvent } from '../types.ts'

export interface BrokerSkip {
  test: string
  reason: string
}

export const CONTRACT_TESTS = {
  fanout: 'delivers each publish to every subscriber exactly once',
  order: 'keeps publish order for one publisher',
  async: 'never runs subscribers inside publish',
  payload: 'delivers a JSON-equal event',
  isolation: 'isolates a throwing or rejecting subscriber',
  unsubscribe: 'stops delivering after unsubscribe, and unsubscribe is idempotent',
  close: 'rejects publish and delivers nothing after close',
} as const

export function event(n: number, extra: Partial<ChangeEvent> = {}): ChangeEvent {
  return {
    action: 'create',
    collectionId: 'pbc_posts',
    collectionName: 'posts',
    record: { id: `rec${String(n).padStart(12, '0')}`, n, tags: ['a', 'b'], meta: { nested: true } },
    seq: n,
    ...extra,
  }
}

/** Polls state instead of sleeping a fixed time (brokers may deliver over the network). */
export async function waitFor(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const start = Date.now()
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error('waitFor: timed out')
    await new Promise((r) => setTimeout(r, 5))
  }
}

export function brokerContract(name: string, make: () => Broker | Promise<Broker>, skip: BrokerSkip[] = []): void {
  describe(`broker contract: ${name}`, () => {
    const brokers: Broker[] = []
    const open = async () => {
      const b = await make()
      brokers.push(b)
      return b
    }
    afterEach(async () => {
      await Promise.all(brokers.splice(0).map((b) => b.close().catch(() => {})))
    })
    const test = (title: string, fn: () => Promise<void>) => {
      const s = skip.find((x) => x.test === title)
      if (s) it.skip(`${title} (skipped: ${s.reason})`, fn)
      else it(title, fn)
    }

    /** After `marker` arrived at `seen`, every earlier publish from this publisher has arrived too. */
    const drain = async (b: Broker, seen: ChangeEvent[]) => {
      await b.publish(event(-1))
      await waitFor(() => seen.some((e) => e.seq === -1))
    }

    test(CONTRACT_TESTS.fanout, async () => {
      const b = await open()
      const a: ChangeEvent[] = []
      const c: ChangeEvent[] = []
      b.subscribe((e) => a.push(e))
      b.subscribe((e) => c.push(e))
      for (let i = 1; i <= 3; i++) await b.publish(event(i))
      await drain(b, a)
      await waitFor(() => c.length === 4)
      expect(a.map((e) => e.seq)).toEqual([1, 2, 3, -1])
      expect(c.map((e) => e.seq)).toEqual([1, 2, 3, -1])
    })

    test(CONTRACT_TESTS.order, async () => {
      const b = await open()
      const got: number[] = []
      b.subscribe((e) => got.push(e.seq!))
      await Promise.all(Array.from({ length: 200 }, (_, i) => b.publish(event(i))))
      await waitFor(() => got.length === 200)
      expect(got).toEqual(Array.from({ length: 200 }, (_, i) => i))
    })

    test(CONTRACT_TESTS.async, async () => {
      const b = await open()
      const got: ChangeEvent[] = []
      b.subscribe((e) => got.push(e))
      const p = b.publish(event(1))
      expect(got).toHaveLength(0)
      await p
      await waitFor(() => got.length === 1)
    })

    test(CONTRACT_TESTS.payload, async () => {
      const b = await open()
      const got: ChangeEvent[] = []
      b.subscribe((e) => got.push(e))
      const sent = event(7, { action: 'delete', record: { id: 'x', tokenKey: 'tk', n: 1.5, s: 'é\n"', nil: null } })
      await b.publish(sent)
      await waitFor(() => got.length === 1)
      expect(got[0]).toEqual(JSON.parse(JSON.stringify(sent)))
    })

    test(CONTRACT_TESTS.isolation, async () => {
      const b = await open()
      const got: ChangeEvent[] = []
      b.subscribe(() => {
        throw new Error('boom')
      })
      b.subscribe((async () => {
        throw new Error('async boom')
      }) as unknown as (e: ChangeEvent) => void)
      b.subscribe((e) => got.push(e))
      await expect(b.publish(event(1))).resolves.toBeUndefined()
      await b.publish(event(2))
      await waitFor(() => got.length === 2)
    })

    test(CONTRACT_TESTS.unsubscribe, async () => {
      const b = await open()
      const gone: ChangeEvent[] = []
      const kept: ChangeEvent[] = []
      const off = b.subscribe((e) => gone.push(e))
      b.subscribe((e) => kept.push(e))
      await b.publish(event(1))
      await waitFor(() => gone.length === 1 && kept.length === 1)
      off()
      off()
      await b.publish(event(2))
      await drain(b, kept)
      expect(gone.map((e) => e.seq)).toEqual([1])
    })

    test(CONTRACT_TESTS.close, async () => {
      const b = await open()
      const got: ChangeEvent[] = []
      b.subscribe((e) => got.push(e))
      await b.publish(event(1))
      await waitFor(() => got.length === 1)
      await b.close()
      await expect(b.publish(event(2))).rejects.toThrow()
      await new Promise((r) => setTimeout(r, 20))
      expect(got).toHaveLength(1)
    })
  })
}
