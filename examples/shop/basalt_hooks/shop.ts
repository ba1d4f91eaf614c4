// Example shop: stock checked and decremented inside the write's transaction, a checkout route,
// order totals computed on read. Load it with `basalt serve --hooksDir=examples/shop/basalt_hooks`.
// In your own project these come from 'basalt'; the example imports the sources it ships with.
import type { App, RouteEvent } from '../../../src/index.ts'
import { badRequest, requireAuth } from '../../../src/index.ts'

const OWN_ORDER = '@request.auth.id != "" && customer = @request.auth.id'

/** Creates the shop's collections on first start (an app would usually ship them as a schema import). */
async function ensureSchema(app: App) {
  if (!app.collections.find('products')) {
    await app.collections.create({
      name: 'products', type: 'base', listRule: '', viewRule: '',
      fields: [{ name: 'name', type: 'text', required: true }, { name: 'price', type: 'number', min: 0 }, { name: 'stock', type: 'number', min: 0, onlyInt: true }],
    })
  }
  if (!app.collections.find('orders')) {
    await app.collections.create({
      name: 'orders', type: 'base', listRule: OWN_ORDER, viewRule: OWN_ORDER, createRule: OWN_ORDER,
      fields: [{ name: 'customer', type: 'relation', collectionId: app.collections.get('users').id, maxSelect: 1, required: true }, { name: 'note', type: 'text' }],
    })
  }
  if (!app.collections.find('orderLines')) {
    const own = '@request.auth.id != "" && order.customer = @request.auth.id'
    await app.collections.create({
      name: 'orderLines', type: 'base', listRule: own, viewRule: own, createRule: own,
      fields: [
        { name: 'order', type: 'relation', collectionId: app.collections.get('orders').id, maxSelect: 1, required: true, cascadeDelete: true },
        { name: 'product', type: 'relation', collectionId: app.collections.get('products').id, maxSelect: 1, required: true },
        { name: 'qty', type: 'number', min: 1, onlyInt: true, required: true },
        { name: 'unitPrice', type: 'number' },
      ],
    })
  }
}

export default async (app: App) => {
  await ensureSchema(app)

  // Runs inside the line's transaction: the product row is locked, checked and decremented, and a
  // throw rolls the whole write back (the line, the stock change and, in a batch, everything else).
  app.onRecordCreateExecute(async (e) => {
    const product = await app.findRecordById('products', e.record.getString('product'), { lock: true })
    const qty = e.record.getInt('qty')
    if (product.getInt('stock') < qty) {
      throw badRequest('Not enough stock.', { qty: { code: 'validation_out_of_stock', message: `Only ${product.getInt('stock')} left.` } })
    }
    product.set('stock', product.getInt('stock') - qty)
    await app.save(product)
    e.record.set('unitPrice', product.getFloat('price')) // server-owned: the client's value is ignored
    await e.next()
  }, 'orderLines')

  // Computed on every read (views, lists, expand, realtime): the order total from its lines.
  app.onRecordEnrich(async (e) => {
    const lines = await app.findRecordsByFilter('orderLines', 'order = {:id}', '', 0, 0, { id: e.record.id })
    e.record.withCustomData(true)
    e.record.set('total', Math.round(lines.reduce((sum, l) => sum + l.getInt('qty') * l.getFloat('unitPrice'), 0) * 100) / 100)
    await e.next()
  }, 'orders')

  // POST /api/shop/checkout {items: [{product, qty}], note?} → the new order, all or nothing.
  app.routerAdd('POST', '/api/shop/checkout', async (e: RouteEvent) => {
    const body = (e.request.body() ?? {}) as { items?: { product?: unknown; qty?: unknown }[]; note?: unknown }
    if (!Array.isArray(body.items) || body.items.length === 0 || body.items.length > 50) {
      throw badRequest('Invalid checkout.', { items: { code: 'validation_required', message: 'Between 1 and 50 items.' } })
    }
    const orderId = await app.runInTransaction(async () => {
      const order = await app.save(app.newRecord('orders', { customer: e.auth!.id, note: typeof body.note === 'string' ? body.note : '' }))
      for (const item of body.items!) {
        await app.save(app.newRecord('orderLines', { order: order.id, product: String(item.product ?? ''), qty: Number(item.qty) }))
      }
      return order.id
    })
    const order = await e.app.records.view(app.collections.get('orders'), orderId, { expand: 'orderLines_via_order' }, e.requestInfo())
    e.json(200, order)
  }, requireAuth('users'))
}
