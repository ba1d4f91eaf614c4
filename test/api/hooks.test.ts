// Hooks and custom routes through the real HTTP API (SDK client): order, tags, transactions, errors, enrich, routes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type PocketBase from 'pocketbase'
import { startServer, waitFor, type TestServer } from '../support/server.ts'
import { failure, raw, signUp } from './helpers.ts'
import { ApiError, badRequest } from '../../src/core/errors.ts'
import { bodyLimit, requireAuth, requireRule, requireSuperuser } from '../../src/framework/middlewares.ts'
import { sql } from '../../src/store/sql.ts'

let s: TestServer
let su: PocketBase
const ids: string[] = []
const unbind = () => {
  const bound = ids.splice(0)
  for (const name of Object.keys(s.app.hooks) as (keyof typeof s.app.hooks)[]) s.app.hooks[name].unbind(...bound)
}
const count = async (name: string) => (await su.collection(name).getList(1, 1)).totalItems
const outboxRows = async (type: string, subject: string) =>
  Number((await s.app.store.get<{ n: number }>(sql`SELECT COUNT(*) AS "n" FROM "_events" WHERE "type" = ${type} AND "subject" = ${subject}`))!.n)

beforeAll(async () => {
  s = await startServer({ hookTimeoutMs: 500 })
  su = await s.superuser()
  await su.collections.create({
    name: 'posts', type: 'base', listRule: '', viewRule: '', createRule: '@request.auth.id != ""', updateRule: '', deleteRule: '',
    fields: [{ name: 'title', type: 'text' }, { name: 'owner', type: 'text' }, { name: 'secret', type: 'text' }, { name: 'price', type: 'number' }, { name: 'qty', type: 'number' }],
  })
  const posts = await su.collections.getOne('posts')
  await su.collections.create({
    name: 'comments', type: 'base', listRule: '', viewRule: '', createRule: '', deleteRule: '',
    fields: [{ name: 'text', type: 'text' }, { name: 'post', type: 'relation', collectionId: posts.id, maxSelect: 1, cascadeDelete: true }],
  })
})
afterAll(() => s?.close())

describe('record model hooks', () => {
  it('onRecordCreate sets server-owned fields; a body value cannot override them', async () => {
    ids.push(s.app.onRecordCreate(async (e) => { e.record.set('owner', 'server'); await e.next() }, 'posts'))
    const { pb } = await signUp(s)
    const rec = await pb.collection('posts').create({ title: 'a', owner: 'client' })
    expect(rec.owner).toBe('server')
    unbind()
  })

  it('runs handlers by priority, then registration order, and only for their collections', async () => {
    const order: string[] = []
    ids.push(s.app.hooks.onRecordCreate.bind(async (e) => { order.push('late'); await e.next() }, { priority: 10, tags: ['posts'] }))
    ids.push(s.app.hooks.onRecordCreate.bind(async (e) => { order.push('early'); await e.next() }, { priority: -1, tags: ['posts'] }))
    ids.push(s.app.onRecordCreate(async (e) => { order.push('comments-only'); await e.next() }, 'comments'))
    await su.collection('posts').create({ title: 'b' })
    expect(order).toEqual(['early', 'late'])
    unbind()
  })

  it('an execute hook that throws an ApiError rolls the write back: 400 with its data, no row, no outbox event', async () => {
    const before = await count('posts')
    ids.push(s.app.onRecordCreateExecute(async (e) => {
      await e.next()
      throw badRequest('Out of stock.', { qty: { code: 'validation_out_of_stock', message: 'Not enough stock.' } })
    }, 'posts'))
    const f = await failure(su.collection('posts').create({ title: 'doomed' }))
    expect(f).toEqual({ status: 400, body: { status: 400, message: 'Out of stock.', data: { qty: { code: 'validation_out_of_stock', message: 'Not enough stock.' } } } })
    expect(await count('posts')).toBe(before)
    expect(Number((await s.app.store.get<{ n: number }>(sql`SELECT COUNT(*) AS "n" FROM "_events" WHERE "data" LIKE '%doomed%'`))!.n)).toBe(0)
    unbind()
  })

  it('any other throw is a 500 that leaks nothing, and nothing is written', async () => {
    const before = await count('posts')
    ids.push(s.app.onRecordCreateExecute(async () => { throw new Error('db password is hunter2') }, 'posts'))
    const f = await failure(su.collection('posts').create({ title: 'x' }))
    expect(f.status).toBe(500)
    expect(JSON.stringify(f.body)).not.toMatch(/hunter2|Error:|at /)
    expect(await count('posts')).toBe(before)
    unbind()
  })

  it('a hanging hook times out, rolls back, and does not wedge the writer', async () => {
    const before = await count('posts')
    ids.push(s.app.onRecordCreate(() => new Promise(() => {}), 'posts'))
    const started = Date.now()
    const f = await failure(su.collection('posts').create({ title: 'hang' }))
    expect(f.status).toBe(500)
    expect(Date.now() - started).toBeLessThan(5000)
    unbind()
    const ok = await su.collection('posts').create({ title: 'after the hang' })
    expect(ok.id).toBeTruthy()
    expect(await count('posts')).toBe(before + 1)
  })

  it('after-success hooks run once the write is durable, never for a failed write', async () => {
    const seen: string[] = []
    ids.push(s.app.onRecordAfterCreateSuccess(async (e) => {
      const stored = await s.app.findRecordById('posts', e.record.id)
      seen.push(stored.getString('title'))
    }, 'posts'))
    ids.push(s.app.onRecordCreateExecute(async (e) => {
      if (e.record.get('title') === 'fails') throw badRequest('No.')
      await e.next()
    }, 'posts'))
    await su.collection('posts').create({ title: 'works' })
    await failure(su.collection('posts').create({ title: 'fails' }))
    await waitFor(() => seen.length === 1)
    expect(seen).toEqual(['works'])
    unbind()
  })

  it('cascades go through the write path: delete hooks fire for the cascaded record and the outbox has its event', async () => {
    const post = await su.collection('posts').create({ title: 'with comment' })
    const comment = await su.collection('comments').create({ text: 'hi', post: post.id })
    const deleted: string[] = []
    ids.push(s.app.onRecordAfterDeleteSuccess(async (e) => { deleted.push(`${e.collection.name}/${e.record.id}`) }))
    await su.collection('posts').delete(post.id)
    await waitFor(() => deleted.length === 2)
    expect(deleted.sort()).toEqual([`comments/${comment.id}`, `posts/${post.id}`].sort())
    expect(await outboxRows('record.delete', comment.id)).toBe(1)
    expect(await outboxRows('record.create', post.id)).toBe(1)
    unbind()
  })
})

describe('request hooks', () => {
  it('onRecordCreateRequest can answer the request itself (no write) or refuse it', async () => {
    const before = await count('posts')
    ids.push(s.app.onRecordCreateRequest(async (e) => {
      if (e.record.get('title') === 'teapot') return e.json(418, { short: 'stout' })
      if (!e.auth) throw new ApiError(401)
      await e.next()
    }, 'posts'))
    const r = await raw(s, '/api/collections/posts/records', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title: 'teapot' }), token: su.authStore.token })
    expect(r.status).toBe(418)
    expect(r.json).toEqual({ short: 'stout' })
    expect(await count('posts')).toBe(before)
    unbind()
  })

  it('onRecordUpdateRequest changes reach the stored record; onRecordsListRequest can reshape the page', async () => {
    const post = await su.collection('posts').create({ title: 'draft' })
    ids.push(s.app.onRecordUpdateRequest(async (e) => { e.record.set('title', String(e.record.get('title')).toUpperCase()); await e.next() }, 'posts'))
    ids.push(s.app.onRecordsListRequest(async (e) => {
      await e.next()
      e.result!.items = e.result!.items.filter((i) => (i as { title: string }).title !== 'HIDDEN')
    }, 'posts'))
    expect((await su.collection('posts').update(post.id, { title: 'hidden' })).title).toBe('HIDDEN')
    const list = await s.client().collection('posts').getFullList({ filter: `id = "${post.id}"` })
    expect(list).toEqual([])
    unbind()
  })

  it('onRecordEnrich adds computed fields and hides fields — in views, lists, expand and realtime', async () => {
    ids.push(s.app.onRecordEnrich(async (e) => {
      e.record.withCustomData(true)
      e.record.set('total', e.record.getFloat('price') * e.record.getInt('qty'))
      e.record.hide('secret')
      await e.next()
    }, 'posts'))
    const pb = s.client()
    const received: Record<string, unknown>[] = []
    await pb.collection('posts').subscribe('*', (ev) => { received.push(ev.record) })
    const post = await su.collection('posts').create({ title: 'priced', price: 2.5, qty: 4, secret: 's3' })
    const view = await pb.collection('posts').getOne(post.id)
    expect(view.total).toBe(10)
    expect(view).not.toHaveProperty('secret')
    const comment = await su.collection('comments').create({ text: 'c', post: post.id })
    const expanded = await pb.collection('comments').getOne(comment.id, { expand: 'post' })
    expect(expanded.expand?.post).toMatchObject({ total: 10 })
    expect(expanded.expand?.post).not.toHaveProperty('secret')
    await waitFor(() => received.some((r) => r.id === post.id))
    expect(received.find((r) => r.id === post.id)).toMatchObject({ total: 10 })
    expect(received.find((r) => r.id === post.id)).not.toHaveProperty('secret')
    await pb.collection('posts').unsubscribe()
    unbind()
  })

  it('onMailerSend can change a message before it is sent', async () => {
    ids.push(s.app.onMailerSend(async (e) => { e.message.subject = `[hooked] ${e.message.subject}`; await e.next() }))
    await s.app.sendMail({ to: 'someone@example.com', subject: 'Hello', html: '<p>hi</p>' })
    expect(s.app.mailer.log.sent.at(-1)?.subject).toBe('[hooked] Hello')
    unbind()
  })
})

describe('custom routes', () => {
  it('answers with path values and JSON; 404 stays PocketBase-shaped for unknown paths', async () => {
    s.app.routerAdd('GET', '/api/hello/{name}', (e) => e.json(200, { message: `Hello ${e.request.pathValue('name')}` }))
    expect(await s.client().send('/api/hello/ann', {})).toEqual({ message: 'Hello ann' })
    const r = await raw(s, '/api/nope')
    expect(r.status).toBe(404)
    expect(r.json).toEqual({ status: 404, message: "The requested resource wasn't found.", data: {} })
  })

  it('requireAuth / requireSuperuser / requireRule guard routes', async () => {
    s.app.routes.get('/api/me', (e) => ({ id: e.auth!.id }), requireAuth('users'))
    s.app.routes.get('/api/admin-only', () => ({ ok: true }), requireSuperuser())
    s.app.routes.get('/api/tenant', () => ({ ok: true }), requireRule('@request.auth.id != "" && @request.headers.x_tenant = "acme"'))
    const { pb, record } = await signUp(s)
    expect(await pb.send('/api/me', {})).toEqual({ id: record.id })
    expect((await failure(s.client().send('/api/me', {}))).status).toBe(401)
    expect((await failure(pb.send('/api/admin-only', {}))).status).toBe(403)
    expect(await su.send('/api/admin-only', {})).toEqual({ ok: true })
    expect((await failure(pb.send('/api/tenant', {}))).status).toBe(403)
    expect(await pb.send('/api/tenant', { headers: { 'X-Tenant': 'acme' } })).toEqual({ ok: true })
  })

  it('bodyLimit refuses a larger body with 413 before the handler runs', async () => {
    let ran = 0
    s.app.routes.post('/api/small', (e) => { ran++; return { got: e.request.body() } }, bodyLimit(100))
    expect(await s.client().send('/api/small', { method: 'POST', body: { a: 1 } })).toEqual({ got: { a: 1 } })
    const f = await failure(s.client().send('/api/small', { method: 'POST', body: { a: 'x'.repeat(500) } }))
    expect(f.status).toBe(413)
    expect(ran).toBe(1)
  })

  it('runInTransaction: a route writing two records and then failing leaves neither', async () => {
    const before = await count('posts')
    s.app.routes.post('/api/two-then-fail', async () => {
      await s.app.runInTransaction(async () => {
        await s.app.save(s.app.newRecord('posts', { title: 'one' }))
        await s.app.runInTransaction(async () => { await s.app.save(s.app.newRecord('posts', { title: 'two' })) })
        throw badRequest('Changed my mind.')
      })
    })
    const f = await failure(su.send('/api/two-then-fail', { method: 'POST' }))
    expect(f.body.message).toBe('Changed my mind.')
    expect(await count('posts')).toBe(before)
  })

  it('app code finds records with bound filter params (a hostile value stays a value)', async () => {
    await su.collection('posts').create({ title: 'needle' })
    expect((await s.app.findRecordsByFilter('posts', 'title = {:t}', '', 0, 0, { t: 'needle' })).map((r) => r.get('title'))).toEqual(['needle'])
    expect(await s.app.countRecords('posts', 'title = {:t}', { t: '" || id != "' })).toBe(0)
  })
})

describe('auth, realtime, settings and collection hooks', () => {
  it('onRecordAuthWithPasswordRequest sees the identity and may refuse; onRecordAuthRequest may change the response record', async () => {
    const { email, password } = await signUp(s)
    ids.push(s.app.onRecordAuthWithPasswordRequest(async (e) => {
      if (e.identity === email) throw new ApiError(403, 'Logins of this account are paused.')
      await e.next()
    }, 'users'))
    const f = await failure(s.client().collection('users').authWithPassword(email, password))
    expect(f).toMatchObject({ status: 403, body: { message: 'Logins of this account are paused.' } })
    unbind()
    ids.push(s.app.onRecordAuthRequest(async (e) => {
      e.record!.withCustomData(true)
      e.record!.set('loginMethod', e.authMethod)
      await e.next()
    }, 'users'))
    const auth = await s.client().collection('users').authWithPassword(email, password)
    expect(auth.record.loginMethod).toBe('password')
    unbind()
  })

  it('onRealtimeSubscribeRequest can drop topics; onRealtimeMessageSend can rewrite or drop messages', async () => {
    ids.push(s.app.onRealtimeSubscribeRequest(async (e) => { e.subscriptions = e.subscriptions.filter((t) => !t.startsWith('comments')); await e.next() }))
    ids.push(s.app.onRealtimeMessageSend(async (e) => {
      const data = JSON.parse(e.message.data)
      if (data.record?.title === 'drop me') return
      data.record.stamped = true
      e.message.data = JSON.stringify(data)
      await e.next()
    }))
    const pb = s.client()
    const posts: Record<string, unknown>[] = []
    const comments: unknown[] = []
    await pb.collection('posts').subscribe('*', (ev) => { posts.push(ev.record) })
    await pb.collection('comments').subscribe('*', (ev) => { comments.push(ev.record) })
    await su.collection('posts').create({ title: 'drop me' })
    const kept = await su.collection('posts').create({ title: 'keep me' })
    await su.collection('comments').create({ text: 'never sent' })
    await waitFor(() => posts.length >= 1)
    await new Promise((r) => setTimeout(r, 200))
    expect(posts).toHaveLength(1)
    expect(posts[0]).toMatchObject({ id: kept.id, stamped: true })
    expect(comments).toEqual([])
    await pb.realtime.unsubscribe()
    unbind()
  })

  it('collection and settings change hooks fire after the change', async () => {
    const seen: string[] = []
    ids.push(s.app.onCollectionAfterCreateSuccess(async (e) => { seen.push(`created ${e.collection.name}`); await e.next() }))
    ids.push(s.app.onSettingsReload(async (e) => { seen.push(`settings ${(e.settings.meta as { appName: string }).appName}`); await e.next() }))
    await su.collections.create({ name: 'hooked_collection', type: 'base', fields: [] })
    await su.settings.update({ meta: { appName: 'Hooked' } })
    await waitFor(() => seen.length === 2)
    expect(seen).toEqual(['created hooked_collection', 'settings Hooked'])
    unbind()
  })
})

describe('file download hook', () => {
  it('onFileDownloadRequest can refuse a download or rename the served file', async () => {
    await su.collections.create({ name: 'docs', type: 'base', listRule: '', viewRule: '', fields: [{ name: 'file', type: 'file', maxSelect: 1, maxSize: 1000 }] })
    const rec = await su.collection('docs').create({ file: new File(['data'], 'report.txt', { type: 'text/plain' }) })
    const url = `${s.url}/api/files/docs/${rec.id}/${rec.file}`
    ids.push(s.app.onFileDownloadRequest(async (e) => {
      if (!e.auth) throw new ApiError(403, 'Sign in to download.')
      e.servedName = `renamed-${e.servedName}`
      await e.next()
    }, 'docs'))
    const guest = await fetch(url)
    expect(guest.status).toBe(403)
    const ok = await fetch(`${url}?download=1`, { headers: { Authorization: su.authStore.token } })
    expect(ok.status).toBe(200)
    expect(ok.headers.get('content-disposition')).toContain('renamed-')
    expect(await ok.text()).toBe('data')
    unbind()
  })
})
