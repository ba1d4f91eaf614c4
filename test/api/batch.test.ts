// POST /api/batch through the SDK's pb.createBatch(): one transaction, per-request rules and hooks, hostile envelopes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type PocketBase from 'pocketbase'
import { startServer, waitFor, type TestServer } from '../support/server.ts'
import { failure, raw, signUp } from './helpers.ts'

let s: TestServer
let su: PocketBase
const count = async (name: string, filter = '') => (await su.collection(name).getList(1, 1, { filter })).totalItems

beforeAll(async () => {
  s = await startServer()
  su = await s.superuser()
  await su.settings.update({ batch: { enabled: true, maxRequests: 50, timeout: 3, maxBodySize: 0 } })
  await su.collections.create({
    name: 'items', type: 'base', listRule: '', viewRule: '', createRule: '@request.auth.id != ""', updateRule: '@request.auth.id != ""', deleteRule: null,
    fields: [{ name: 'title', type: 'text', required: true }, { name: 'n', type: 'number' }, { name: 'doc', type: 'file', maxSelect: 1, maxSize: 1000 }],
  })
})
afterAll(() => s?.close())

describe('batch through the SDK', () => {
  it('creates, updates, upserts and deletes in one call, answering each in order', async () => {
    const existing = await su.collection('items').create({ title: 'old' })
    const doomed = await su.collection('items').create({ title: 'doomed' })
    const b = su.createBatch()
    b.collection('items').create({ title: 'a', n: 1 })
    b.collection('items').update(existing.id, { n: 2 })
    b.collection('items').upsert({ id: existing.id, title: 'upserted' })
    b.collection('items').upsert({ title: 'fresh upsert' })
    b.collection('items').delete(doomed.id)
    const res = await b.send()
    expect(res.map((r) => r.status)).toEqual([200, 200, 200, 200, 204])
    expect(res[0].body).toMatchObject({ title: 'a', n: 1, collectionName: 'items' })
    expect(res[2].body).toMatchObject({ id: existing.id, title: 'upserted', n: 2 })
    expect(res[4].body).toBeNull()
    expect(await count('items', `id = "${doomed.id}"`)).toBe(0)
  })

  it('uploads files per sub-request (multipart @jsonPayload)', async () => {
    const b = su.createBatch()
    b.collection('items').create({ title: 'with file', doc: new File(['hello'], 'hello.txt', { type: 'text/plain' }) })
    const [r] = await b.send()
    const rec = r.body as { id: string; doc: string }
    expect(rec.doc).toMatch(/^hello_\w+\.txt$/)
    const file = await raw(s, `/api/files/items/${rec.id}/${rec.doc}`)
    expect(file.text).toBe('hello')
  })

  it('all or nothing: a failing sub-request rolls back the others and names its index and error', async () => {
    const before = await count('items')
    const b = su.createBatch()
    b.collection('items').create({ title: 'first' })
    b.collection('items').create({ title: '' })
    const f = await failure(b.send())
    expect(f.status).toBe(400)
    expect(f.body).toMatchObject({ message: 'Batch transaction failed.', data: { requests: { 1: { code: 'batch_request_failed', response: { status: 400, data: { title: { code: 'validation_required' } } } } } } })
    expect(await count('items')).toBe(before)
  })

  it('each sub-request runs with its own rules, with the caller\'s auth (sub-request headers are ignored)', async () => {
    const { pb } = await signUp(s)
    const own = pb.createBatch()
    own.collection('items').create({ title: 'by user' })
    expect((await own.send())[0].status).toBe(200)
    const target = await su.collection('items').create({ title: 'keep me' })
    const b = pb.createBatch()
    b.collection('items').delete(target.id, { headers: { Authorization: su.authStore.token } })
    const f = await failure(b.send())
    expect(f.body.data?.requests?.[0]?.response?.status).toBe(403)
    expect(await count('items', `id = "${target.id}"`)).toBe(1)
    const guest = s.client().createBatch()
    guest.collection('items').create({ title: 'guest' })
    expect((await failure(guest.send())).body.data?.requests?.[0]?.response?.status).toBe(400)
  })

  it('hooks run for every sub-request, and realtime sees events only after the commit', async () => {
    const pb = s.client()
    const seen: string[] = []
    await pb.collection('items').subscribe('*', (e) => { seen.push(`${e.action}:${e.record.title}`) })
    const id = s.app.onRecordCreate(async (e) => { if (e.record.get('title')) e.record.set('title', `${e.record.get('title')}!`); await e.next() }, 'items')
    const failing = su.createBatch()
    failing.collection('items').create({ title: 'ghost' })
    failing.collection('items').create({ title: '' })
    await failure(failing.send())
    const ok = su.createBatch()
    ok.collection('items').create({ title: 'x1' })
    ok.collection('items').create({ title: 'x2' })
    const res = await ok.send()
    expect(res.map((r) => (r.body as { title: string }).title)).toEqual(['x1!', 'x2!'])
    await waitFor(() => seen.length >= 2)
    expect(seen).toEqual(['create:x1!', 'create:x2!'])
    s.app.hooks.onRecordCreate.unbind(id)
    await pb.collection('items').unsubscribe()
  })
})

describe('hostile batches', () => {
  const post = (body: unknown, token = su.authStore.token) => raw(s, '/api/batch', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), token })

  it('refuses over-limit counts, empty and malformed envelopes with 400 and writes nothing', async () => {
    const before = await count('items')
    const many = Array.from({ length: 10_000 }, () => ({ method: 'POST', url: '/api/collections/items/records', body: { title: 't' } }))
    const r = await post({ requests: many })
    expect(r.status).toBe(400)
    expect(r.json.data.requests.code).toBe('validation_length_too_long')
    expect((await post({ requests: [] })).json.data.requests.code).toBe('validation_required')
    expect((await post({ requests: 'nope' })).status).toBe(400)
    expect((await post({ requests: [{ method: 'POST' }] })).json.data.requests['0'].code).toBe('validation_invalid_batch_request')
    expect(await count('items')).toBe(before)
  })

  it('nested batches and non-record routes fail as that sub-request, nothing written', async () => {
    const before = await count('items')
    for (const url of ['/api/batch', '/api/collections', '/api/settings', '/api/collections/items/auth-with-password', '/api/collections/nope/records']) {
      const r = await post({ requests: [{ method: 'POST', url: '/api/collections/items/records', body: { title: 'ok' } }, { method: 'POST', url, body: {} }] })
      expect(r.status).toBe(400)
      expect(r.json.data.requests['1'].response.status).toBe(404)
    }
    expect(await count('items')).toBe(before)
  })

  it('duplicate ids in one batch → 400, neither written', async () => {
    const before = await count('items')
    const b = su.createBatch()
    b.collection('items').create({ id: 'dupdupdupdup123', title: 'a' })
    b.collection('items').create({ id: 'dupdupdupdup123', title: 'b' })
    const f = await failure(b.send())
    expect(f.body.data?.requests?.[1]?.response?.data?.id?.code).toBe('validation_not_unique')
    expect(await count('items')).toBe(before)
  })

  it('a disabled batch API answers 403 before reading the body', async () => {
    await su.settings.update({ batch: { enabled: false } })
    try {
      const r = await post({ requests: [{ method: 'POST', url: '/api/collections/items/records', body: { title: 'x' } }] })
      expect(r).toMatchObject({ status: 403, json: { message: 'Batch requests are not allowed.' } })
    } finally {
      await su.settings.update({ batch: { enabled: true } })
    }
  })
})
