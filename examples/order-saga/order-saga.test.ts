// The order-saga example through the SDK, on SQLite and PostgreSQL: a paid order ships; a declined card
// is retried, then the reservation is compensated; an invalid order starts no saga.
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type PocketBase from 'pocketbase'
import { startServer, waitFor, type TestServer } from '../../test/support/server.ts'
import { loadHookFiles } from '../../src/framework/hooks-loader.ts'

let s: TestServer
let su: PocketBase
let productId: string

beforeAll(async () => {
  s = await startServer()
  await loadHookFiles(s.app, path.resolve('examples/order-saga/basalt_hooks'))
  su = await s.superuser()
  productId = (await su.collection('products').create({ name: 'lamp', stock: 10 })).id
})
afterAll(() => s?.close())

const stock = async () => (await su.collection('products').getOne(productId)).stock
async function settled(orderId: string) {
  return (await waitFor(async () => {
    const wf = (await su.send('/api/workflows', { query: { perPage: 100 } })).items.find((w: any) => w.input.orderId === orderId)
    return wf && ['completed', 'compensated', 'failed'].includes(wf.state) ? wf : null
  }, 10_000, `saga of order ${orderId}`))!
}

describe('order saga example', () => {
  it('reserves, charges and ships a paid order', async () => {
    const order = await s.client().collection('orders').create({ product: productId, quantity: 3, card: '4242424242424242' })
    const wf = await settled(order.id)
    expect(wf).toMatchObject({ name: 'order', state: 'completed', results: { reserve: { quantity: 3 } } })
    expect(await su.collection('orders').getOne(order.id)).toMatchObject({ status: 'shipped', paymentId: wf.results.charge.paymentId })
    expect(await stock()).toBe(7)
    expect(await su.collection('payments').getOne(wf.results.charge.paymentId)).toMatchObject({ amount: 30, refunded: false, key: `${wf.id}:charge` })
  })

  it('compensates the reservation when the charge fails for good', async () => {
    const before = await stock()
    const order = await s.client().collection('orders').create({ product: productId, quantity: 2, card: '4000000000000000' })
    const wf = await settled(order.id)
    expect(wf.state).toBe('compensated')
    expect(wf.error).toMatch(/charge failed: card declined/)
    expect(await su.collection('orders').getOne(order.id)).toMatchObject({ status: 'cancelled', paymentId: '', failure: wf.error })
    expect(await stock()).toBe(before)
    // The charge step ran its two attempts and no more.
    const jobs = await su.send('/api/jobs', { query: { name: 'workflow:order', perPage: 200 } })
    const chargeJobs = jobs.items.filter((j: any) => j.payload.workflowId === wf.id && j.payload.step === 1 && j.payload.kind === 'run')
    expect(chargeJobs).toHaveLength(1)
    expect(chargeJobs[0]).toMatchObject({ attempt: 2, state: 'completed' })
  })

  it('an order that fails validation starts no saga', async () => {
    const before = (await su.send('/api/workflows', {})).totalItems
    await expect(s.client().collection('orders').create({ product: productId, quantity: 0 })).rejects.toThrow()
    expect((await su.send('/api/workflows', {})).totalItems).toBe(before)
  })
})
