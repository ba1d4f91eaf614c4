// Example order saga: reserve stock → charge → ship, as a durable workflow; a charge that fails for good
// releases the reservation. Load it with `basalt serve --hooksDir=examples/order-saga/basalt_hooks`.
// In your own project these come from 'basalt'; the example imports the sources it ships with.
import type { App } from '../../../src/index.ts'

interface OrderInput { orderId: string }

/** Creates the example's collections on first start. */
async function ensureSchema(app: App) {
  const text = (name: string) => ({ name, type: 'text' })
  if (!app.collections.find('products')) {
    await app.collections.create({ name: 'products', type: 'base', listRule: '', viewRule: '', fields: [text('name'), { name: 'stock', type: 'number', min: 0, onlyInt: true }] })
  }
  if (!app.collections.find('orders')) {
    await app.collections.create({
      name: 'orders', type: 'base', createRule: '', viewRule: '',
      fields: [text('product'), { name: 'quantity', type: 'number', required: true, onlyInt: true }, text('card'), text('status'), text('paymentId'), text('failure')],
    })
  }
  // Stand-in for a payment provider's ledger: one row per idempotency key.
  if (!app.collections.find('payments')) {
    await app.collections.create({
      name: 'payments', type: 'base',
      fields: [text('key'), { name: 'amount', type: 'number' }, { name: 'refunded', type: 'bool' }],
      indexes: ['CREATE UNIQUE INDEX idx_payments_key ON payments (key)'],
    })
  }
}

/** A fake provider call: declines cards ending in 0000; the same idempotency key never charges twice. */
async function charge(app: App, key: string, card: string, amount: number): Promise<string> {
  if (card.endsWith('0000')) throw new Error('card declined')
  const existing = await app.findRecordsByFilter('payments', 'key = {:key}', '', 1, 0, { key })
  if (existing[0]) return existing[0].id
  return (await app.save(app.newRecord('payments', { key, amount }))).id
}

export default async (app: App) => {
  await ensureSchema(app)

  app.workflows.define<OrderInput>('order', {
    backoff: { baseMs: 50, maxMs: 200 },
    steps: [
      {
        name: 'reserve',
        // The product row is locked, checked and decremented in one transaction: no overselling.
        run: ({ input }) => app.runInTransaction(async () => {
          const order = await app.findRecordById('orders', input.orderId)
          const product = await app.findRecordById('products', order.getString('product'), { lock: true })
          const quantity = order.getInt('quantity')
          if (product.getInt('stock') < quantity) throw new Error('out of stock')
          product.set('stock', product.getInt('stock') - quantity)
          order.set('status', 'reserved')
          await app.save(product)
          await app.save(order)
          return { quantity }
        }),
        compensate: ({ input, results, error }) => app.runInTransaction(async () => {
          const order = await app.findRecordById('orders', input.orderId, { lock: true })
          const product = await app.findRecordById('products', order.getString('product'), { lock: true })
          product.set('stock', product.getInt('stock') + results.reserve.quantity)
          order.set('status', 'cancelled')
          order.set('failure', error ?? '')
          await app.save(product)
          await app.save(order)
        }),
      },
      {
        name: 'charge',
        maxAttempts: 2,
        run: async ({ input, idempotencyKey }) => {
          const order = await app.findRecordById('orders', input.orderId)
          const paymentId = await charge(app, idempotencyKey, order.getString('card'), order.getInt('quantity') * 10)
          order.set('status', 'paid')
          order.set('paymentId', paymentId)
          await app.save(order)
          return { paymentId }
        },
        compensate: async ({ results }) => {
          const payment = await app.findRecordById('payments', results.charge.paymentId)
          payment.set('refunded', true)
          await app.save(payment)
        },
      },
      {
        name: 'ship',
        run: async ({ input }) => {
          const order = await app.findRecordById('orders', input.orderId)
          order.set('status', 'shipped')
          await app.save(order)
        },
      },
    ],
  })

  // Every new order starts its saga in the order's own transaction: no order without a saga, no saga without an order.
  app.onRecordCreateExecute(async (e) => {
    await e.next()
    await app.workflows.start('order', { orderId: e.record.id })
  }, 'orders')
}
