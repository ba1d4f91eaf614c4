// The shop example end to end through the SDK, on SQLite and PostgreSQL: checkout route, stock in a
// transaction hook, computed totals, a batch order, rules between customers, and no overselling under races.
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type PocketBase from 'pocketbase'
import { startServer, type TestServer } from '../../test/support/server.ts'
import { failure, signUp } from '../../test/api/helpers.ts'
import { loadHookFiles } from '../../src/framework/hooks-loader.ts'

let s: TestServer
let su: PocketBase

beforeAll(async () => {
  s = await startServer()
  await loadHookFiles(s.app, path.resolve('examples/shop/basalt_hooks'))
  su = await s.superuser()
  await su.settings.update({ batch: { enabled: true } })
})
afterAll(() => s?.close())

const product = (name: string, price: number, stock: number) => su.collection('products').create({ name, price, stock })
const stockOf = async (id: string) => (await su.collection('products').getOne(id)).stock as number

describe('shop example', () => {
  it('checkout creates the order and its lines, decrements stock, and reads back a computed total', async () => {
    const tea = await product('tea', 4.5, 10)
    const cup = await product('cup', 12, 2)
    const { pb, record } = await signUp(s)
    const order = await pb.send('/api/shop/checkout', { method: 'POST', body: { items: [{ product: tea.id, qty: 2 }, { product: cup.id, qty: 1 }] } })
    expect(order).toMatchObject({ customer: record.id, total: 21 })
    expect(order.expand.orderLines_via_order.map((l: { qty: number; unitPrice: number }) => [l.qty, l.unitPrice])).toEqual([[2, 4.5], [1, 12]])
    expect(await stockOf(tea.id)).toBe(8)
    expect(await stockOf(cup.id)).toBe(1)
    expect((await pb.collection('orders').getOne(order.id)).total).toBe(21)
  })

  it('an out-of-stock line fails the whole checkout: 400, no order, stock unchanged', async () => {
    const rare = await product('rare', 100, 1)
    const plenty = await product('plenty', 1, 100)
    const { pb } = await signUp(s)
    const before = (await su.collection('orders').getList(1, 1)).totalItems
    const f = await failure(pb.send('/api/shop/checkout', { method: 'POST', body: { items: [{ product: plenty.id, qty: 5 }, { product: rare.id, qty: 2 }] } }))
    expect(f.status).toBe(400)
    expect(f.body.data?.qty?.code).toBe('validation_out_of_stock')
    expect((await su.collection('orders').getList(1, 1)).totalItems).toBe(before)
    expect(await stockOf(plenty.id)).toBe(100)
    expect(await stockOf(rare.id)).toBe(1)
  })

  it('a batch creates an order with its lines (client-chosen order id), all or nothing', async () => {
    const pen = await product('pen', 2, 5)
    const { pb, record } = await signUp(s)
    const orderId = `ord${Date.now().toString(36)}`.padEnd(15, '0').slice(0, 15)
    const b = pb.createBatch()
    b.collection('orders').create({ id: orderId, customer: record.id })
    b.collection('orderLines').create({ order: orderId, product: pen.id, qty: 3, unitPrice: 0.01 })
    const res = await b.send()
    expect(res.map((r) => r.status)).toEqual([200, 200])
    expect((res[1].body as { unitPrice: number }).unitPrice).toBe(2) // the server's price, not the client's
    expect((await pb.collection('orders').getOne(orderId)).total).toBe(6)
    expect(await stockOf(pen.id)).toBe(2)

    const failing = pb.createBatch()
    failing.collection('orders').create({ customer: record.id })
    failing.collection('orderLines').create({ order: orderId, product: pen.id, qty: 99 })
    expect((await failure(failing.send())).status).toBe(400)
    expect(await stockOf(pen.id)).toBe(2)
  })

  it('customers cannot see or add to each other\'s orders', async () => {
    const mug = await product('mug', 8, 5)
    const alice = await signUp(s)
    const bob = await signUp(s)
    const order = await alice.pb.send('/api/shop/checkout', { method: 'POST', body: { items: [{ product: mug.id, qty: 1 }] } })
    expect((await failure(bob.pb.collection('orders').getOne(order.id))).status).toBe(404)
    expect((await failure(bob.pb.collection('orderLines').create({ order: order.id, product: mug.id, qty: 1 }))).status).toBe(400)
    expect((await failure(bob.pb.collection('orders').create({ customer: alice.record.id }))).status).toBe(400)
    expect((await failure(s.client().send('/api/shop/checkout', { method: 'POST', body: { items: [{ product: mug.id, qty: 1 }] } }))).status).toBe(401)
    expect(await stockOf(mug.id)).toBe(4)
  })

  it('concurrent checkouts never oversell the last items', async () => {
    const last = await product('last', 5, 3)
    const buyers = await Promise.all(Array.from({ length: 6 }, () => signUp(s)))
    const results = await Promise.allSettled(buyers.map((b) => b.pb.send('/api/shop/checkout', { method: 'POST', body: { items: [{ product: last.id, qty: 1 }] } })))
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3)
    expect(await stockOf(last.id)).toBe(0)
  })
})
