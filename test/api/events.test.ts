// Event dispatcher through the real HTTP API: record changes and custom events reach registered sinks
// as CloudEvents, at least once, in outbox order, once per sink across dispatchers sharing a database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, waitFor, type TestServer } from '../support/server.ts'
import type { CloudEvent, EventSink } from '../../src/events/cloudevents.ts'
import { EventDispatcher } from '../../src/events/dispatcher.ts'
import type { Client } from './helpers.ts'

let s: TestServer
let su: Client

beforeAll(async () => {
  s = await startServer()
  su = await s.superuser()
  await s.app.settings.update({ meta: { appName: 'Event Shop' } })
  await su.collections.create({ name: 'ev_orders', type: 'base', fields: [{ name: 'total', type: 'number' }], createRule: '', updateRule: '', deleteRule: '' })
})
afterAll(() => s?.close())

/** A sink that records what it receives; `failTimes` deliveries are refused first. */
function collectingSink(name: string, failTimes = 0): EventSink & { got: CloudEvent[]; attempts: number } {
  const sink = {
    name, got: [] as CloudEvent[], attempts: 0,
    async deliver(batch: CloudEvent[]) {
      sink.attempts++
      if (sink.attempts <= failTimes) throw new Error(`refused delivery ${sink.attempts}`)
      sink.got.push(...batch)
    },
  }
  return sink
}

describe('record events', () => {
  it('delivers creates, updates and deletes made through the SDK as CloudEvents, in order, from registration on', async () => {
    const before = await s.client().collection('ev_orders').create({ total: 1 })
    const sink = collectingSink('orders-a')
    const stop = await s.app.events.register(sink)
    try {
      const pb = s.client()
      const r = await pb.collection('ev_orders').create({ total: 10 })
      await pb.collection('ev_orders').update(r.id, { total: 20 })
      await pb.collection('ev_orders').delete(r.id)
      const mine = () => sink.got.filter((e) => e.subject === r.id)
      await waitFor(() => mine().length === 3, 5000, 'three events')
      expect(mine().map((e) => e.type)).toEqual(['basalt.record.create', 'basalt.record.update', 'basalt.record.delete'])
      const [created] = mine()
      expect(created).toMatchObject({ specversion: '1.0', source: 'basalt://event-shop/collections/ev_orders', basaltcollection: 'ev_orders', datacontenttype: 'application/json' })
      expect((created.data as { total: number }).total).toBe(10)
      expect(created.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/)
      const seqs = sink.got.map((e) => e.basaltseq)
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
      // Registered after `before` was written: a new sink does not replay history.
      expect(sink.got.some((e) => e.subject === before.id)).toBe(false)
    } finally {
      await stop()
    }
  })

  it('retries a failing sink with the same event ids until it accepts, without losing or reordering events', async () => {
    const sink = collectingSink('orders-flaky', 2)
    const stop = await s.app.events.register(sink)
    try {
      const pb = s.client()
      const ids: string[] = []
      for (let i = 0; i < 5; i++) ids.push((await pb.collection('ev_orders').create({ total: i })).id)
      await waitFor(() => ids.every((id) => sink.got.some((e) => e.subject === id)), 10_000, 'all five events')
      expect(sink.attempts).toBeGreaterThanOrEqual(3)
      const creates = sink.got.filter((e) => ids.includes(e.subject ?? ''))
      expect(creates.map((e) => e.subject)).toEqual(ids)
      expect(new Set(creates.map((e) => e.id)).size).toBe(5)
    } finally {
      await stop()
    }
  })

  it('resumes a known sink after its cursor: events written while it was stopped are delivered on re-registration', async () => {
    const first = collectingSink('orders-resume')
    let stop = await s.app.events.register(first)
    await stop()
    const r = await s.client().collection('ev_orders').create({ total: 99 })
    const second = collectingSink('orders-resume')
    stop = await s.app.events.register(second)
    try {
      await waitFor(() => second.got.some((e) => e.subject === r.id), 5000, 'the missed event')
    } finally {
      await stop()
    }
  })
})

describe('custom events', () => {
  it('app.events.emit delivers a custom type with its subject; emitted in a rolled-back transaction it never is', async () => {
    const sink = collectingSink('custom')
    const stop = await s.app.events.register(sink)
    try {
      await expect(s.app.runInTransaction(async () => {
        await s.app.events.emit('order.lost', { n: 1 }, { subject: 'o-lost' })
        throw new Error('roll back')
      })).rejects.toThrow('roll back')
      await s.app.runInTransaction(async () => { await s.app.events.emit('order.paid', { amount: 42 }, { subject: 'o-1' }) })
      await waitFor(() => sink.got.some((e) => e.type === 'order.paid'), 5000, 'order.paid')
      const paid = sink.got.find((e) => e.type === 'order.paid')!
      expect(paid).toMatchObject({ source: 'basalt://event-shop/app', subject: 'o-1', data: { amount: 42 } })
      // Delivery is in outbox order, so anything written before order.paid has been delivered by now.
      expect(sink.got.some((e) => e.type === 'order.lost')).toBe(false)
    } finally {
      await stop()
    }
  })

  it('refuses an empty type or one in the record namespace', () => {
    expect(() => s.app.events.emit('', {})).toThrow()
    expect(() => s.app.events.emit('record.create', {})).toThrow()
  })
})

describe('two dispatchers on one database (two nodes)', () => {
  it('deliver each event to a sink once: one node holds the sink\'s lease', async () => {
    const make = (nodeId: string) => new EventDispatcher({
      store: s.app.store, outbox: s.app.outbox, clock: s.app.clock, nodeId, pollMs: 50,
      source: () => 'basalt://test', onError: () => {},
    })
    const [a, b] = [make('node-a'), make('node-b')]
    const sinkA = collectingSink('shared')
    const sinkB = collectingSink('shared')
    await a.register(sinkA)
    await b.register(sinkB)
    try {
      const pb = s.client()
      const ids: string[] = []
      for (let i = 0; i < 10; i++) ids.push((await pb.collection('ev_orders').create({ total: i })).id)
      const all = () => [...sinkA.got, ...sinkB.got].filter((e) => ids.includes(e.subject ?? ''))
      await waitFor(() => all().length >= 10, 5000, 'ten events')
      await new Promise((r) => setTimeout(r, 200))
      expect(all()).toHaveLength(10)
      expect(sinkA.got.length === 0 || sinkB.got.length === 0).toBe(true)
    } finally {
      await Promise.all([a.close(), b.close()])
    }
  })
})

describe('BASALT_EVENTS_OUTBOX=false', () => {
  it('records no event for a change, so sinks receive nothing; the write itself succeeds', async () => {
    const { DEFAULTS } = await import('../../src/config.ts')
    const off = await startServer({ events: { ...DEFAULTS.events, outbox: false } })
    try {
      const admin = await off.superuser()
      await admin.collections.create({ name: 'quiet', type: 'base', fields: [{ name: 'x', type: 'text' }], createRule: '' })
      const sink = collectingSink('quiet-sink')
      await off.app.events.register(sink)
      const r = await off.client().collection('quiet').create({ x: 'y' })
      expect(r.x).toBe('y')
      await new Promise((res) => setTimeout(res, 300))
      expect(sink.got).toEqual([])
      const { sql } = await import('../../src/store/sql.ts')
      expect(await off.app.store.all(sql`SELECT "id" FROM "_events"`)).toEqual([])
    } finally {
      await off.close()
    }
  })
})
