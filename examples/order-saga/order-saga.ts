// Example hooks file: an order saga — reserve stock → charge → ship — with the reservation compensated when the charge fails for good.
// Load it like any hooks file: its default export receives the app (docs/jobs.md#workflows).
import type { App } from '../../src/app.ts'
import { loadRecord } from '../../src/core/records/record-io.ts'

/** A stand-in payment provider: declines cards ending in 0000, remembers charges by idempotency key. */
export const payments = {
  charges: new Map<string, { amount: number; refunded: boolean }>(),
  async charge(key: string, card: string, amount: number): Promise<string> {
    if (card.endsWith('0000')) throw new Error('card declined')
    if (!this.charges.has(key)) this.charges.set(key, { amount, refunded: false }) // retries with the same key charge once
    return key
  },
}

/** Reads a record, applies `change`, writes it through the one record write path (hooks, realtime, outbox). */
async function patch(app: App, collection: string, id: string, change: (r: Record<string, any>) => Record<string, unknown>) {
  const c = app.collections.get(collection)
  return app.runInTransaction(async () => {
    // Locked until commit (PostgreSQL): two orders reserving the same product queue up instead of both reading the old stock.
    const before = await loadRecord(app.store, c, id, app.store.dialect, undefined, { forUpdate: true })
    if (!before) throw new Error(`${collection}/${id} not found`)
    return app.writes.update(c, before, { ...before, ...change(before) })
  })
}

interface OrderInput { orderId: string }

export default function orderSaga(app: App) {
  app.workflows.define<OrderInput>('order', {
    backoff: { baseMs: 50, maxMs: 200 },
    steps: [
      {
        name: 'reserve',
        // Stock check and decrement in one transaction: two orders can never take the same unit.
        run: async ({ input }) => {
          const order = await patch(app, 'orders', input.orderId, () => ({ status: 'reserved' }))
          await patch(app, 'products', String(order.product), (p) => {
            if (Number(p.stock) < Number(order.quantity)) throw new Error('out of stock')
            return { stock: Number(p.stock) - Number(order.quantity) }
          })
          return { quantity: order.quantity }
        },
        compensate: async ({ input, results, error }) => {
          const order = await patch(app, 'orders', input.orderId, () => ({ status: 'cancelled', failure: error ?? '' }))
          await patch(app, 'products', String(order.product), (p) => ({ stock: Number(p.stock) + Number(results.reserve.quantity) }))
        },
      },
      {
        name: 'charge',
        maxAttempts: 2,
        run: async ({ input, idempotencyKey }) => {
          const order = await loadRecord(app.store, app.collections.get('orders'), input.orderId, app.store.dialect)
          const paymentId = await payments.charge(idempotencyKey, String(order!.card), Number(order!.quantity) * 10)
          await patch(app, 'orders', input.orderId, () => ({ status: 'paid', paymentId }))
          return { paymentId }
        },
        compensate: async ({ results }) => { payments.charges.get(results.charge.paymentId)!.refunded = true },
      },
      {
        name: 'ship',
        run: async ({ input }) => { await patch(app, 'orders', input.orderId, () => ({ status: 'shipped' })) },
      },
    ],
  })

  // Every new order starts its saga in the order's own transaction: no order without a saga, no saga without an order.
  app.onRecordCreateExecute(async (e) => {
    await e.next()
    await app.workflows.start('order', { orderId: e.record.id })
  }, 'orders')
}
