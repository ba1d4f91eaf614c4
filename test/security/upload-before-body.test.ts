// Issue 7 "authorization before buffering": a write its rule refuses is answered before the body is read
// (then the connection closes); accepted uploads stream to temp files, limited per field, always removed.
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type PocketBase from 'pocketbase'
import { startServer, waitFor, type TestServer } from '../support/server.ts'
import { connectRaw, statuses } from '../support/raw-http.ts'
import { failure, signUp } from '../api/helpers.ts'
import { spoolDirOf } from '../../src/http/upload-spool.ts'

let s: TestServer
let su: PocketBase
const BOUNDARY = 'basaltboundary'

beforeAll(async () => {
  s = await startServer()
  su = await s.superuser()
  const file = (name: string, maxSize = 0) => ({ name, type: 'file', maxSelect: 1, maxSize })
  await su.collections.create({ name: 'locked', type: 'base', createRule: null, updateRule: null, fields: [{ name: 'title', type: 'text' }, file('doc')] })
  await su.collections.create({ name: 'members', type: 'base', createRule: '@request.auth.id != ""', fields: [{ name: 'title', type: 'text' }, file('doc')] })
  await su.collections.create({ name: 'owned', type: 'base', createRule: '@request.auth.id != ""', updateRule: '@request.auth.id = owner', viewRule: '', fields: [{ name: 'owner', type: 'text' }, file('doc')] })
  await su.collections.create({ name: 'bodyrule', type: 'base', createRule: '@request.body.title = "ok"', fields: [{ name: 'title', type: 'text' }, file('doc')] })
  await su.collections.create({ name: 'small', type: 'base', createRule: '', fields: [{ name: 'title', type: 'text' }, file('doc', 1024), { name: 'docs', type: 'file', maxSelect: 5, maxSize: 1_000_000 }] })
})
afterAll(() => s?.close())

const spooled = () => { try { return fs.readdirSync(spoolDirOf(s.dir)) } catch { return [] } }

/** Multipart head of one file part named `field` whose content is `size` bytes, and the closing tail. */
function multipart(field: string, size: number) {
  const head = `--${BOUNDARY}\r\nContent-Disposition: form-data; name="title"\r\n\r\nok\r\n--${BOUNDARY}\r\nContent-Disposition: form-data; name="${field}"; filename="a.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`
  const tail = `\r\n--${BOUNDARY}--\r\n`
  return { head, tail, length: Buffer.byteLength(head) + size + Buffer.byteLength(tail) }
}

/** Sends the headers and the first 64 KiB of a multipart write announcing `size` bytes of file, then waits for the answer. */
async function writeWithoutFullBody(method: string, url: string, size: number, token?: string) {
  const c = await connectRaw(s.url)
  const body = multipart('doc', size)
  c.socket.write(`${method} ${url} HTTP/1.1\r\nHost: x\r\n${token ? `Authorization: ${token}\r\n` : ''}Content-Type: multipart/form-data; boundary=${BOUNDARY}\r\nContent-Length: ${body.length}\r\n\r\n${body.head}`)
  c.socket.write(Buffer.alloc(64 * 1024, 7))
  // The rest of the 20 MB is never sent: only an answer decided before the body can arrive.
  const text = await c.until(/\r\n\r\n\{.*\}/s, 5000)
  await c.closed
  return { status: statuses(text)[0], text, json: JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) }
}

describe('refused before the body is read', () => {
  it('guest upload to a collection with a locked createRule → 403 at once, Connection: close, nothing stored', async () => {
    const r = await writeWithoutFullBody('POST', '/api/collections/locked/records', 20_000_000)
    expect(r.status).toBe(403)
    expect(r.json).toEqual({ status: 403, message: 'Only superusers can perform this action.', data: {} })
    expect(r.text).toMatch(/connection: close/i)
    expect((await su.collection('locked').getFullList()).length).toBe(0)
  })

  it('a user updating a record of a locked updateRule → 403 before the body', async () => {
    const rec = await su.collection('locked').create({ title: 'x' })
    const { token } = await signUp(s)
    const r = await writeWithoutFullBody('PATCH', `/api/collections/locked/records/${rec.id}`, 20_000_000, token)
    expect(r.status).toBe(403)
  })

  it('guest create where the rule needs only @request.auth → 400 "Failed to create record." before the body', async () => {
    const r = await writeWithoutFullBody('POST', '/api/collections/members/records', 20_000_000)
    expect(r.status).toBe(400)
    expect(r.json).toEqual({ status: 400, message: 'Failed to create record.', data: {} })
    expect((await su.collection('members').getFullList()).length).toBe(0)
  })

  it('update refused by a rule on the stored record (not the body) → 404 before the body; the owner may update', async () => {
    const owner = await signUp(s)
    const rec = await owner.pb.collection('owned').create({ owner: owner.record.id })
    const other = await signUp(s)
    const r = await writeWithoutFullBody('PATCH', `/api/collections/owned/records/${rec.id}`, 20_000_000, other.token)
    expect(r.status).toBe(404)
    const updated = await owner.pb.collection('owned').update(rec.id, { doc: new File([Buffer.from('hello')], 'a.txt', { type: 'text/plain' }) })
    expect(updated.doc).toMatch(/^a_\w+\.txt$/)
  })

  it('unknown collection → 404 before the body', async () => {
    expect((await writeWithoutFullBody('POST', '/api/collections/nope/records', 20_000_000)).status).toBe(404)
  })

  it('same answers as before for small JSON bodies (no early query, same semantics)', async () => {
    expect((await failure(s.client().collection('members').create({ title: 'x' }))).status).toBe(400)
    expect((await failure(s.client().collection('locked').create({ title: 'x' }))).status).toBe(403)
    const { pb } = await signUp(s)
    expect((await pb.collection('members').create({ title: 'x' })).title).toBe('x')
  })

  it('a collection with a request hook is decided after the body (the hook runs before the rule and may answer)', async () => {
    const id = s.app.onRecordCreateRequest(async (e) => e.json(418, { answeredBy: 'hook' }), 'members')
    try {
      const res = await fetch(`${s.url}/api/collections/members/records`, { method: 'POST', body: (() => { const f = new FormData(); f.append('doc', new File([Buffer.alloc(100_000)], 'a.bin')); return f })() })
      expect(res.status).toBe(418)
      expect(await res.json()).toEqual({ answeredBy: 'hook' })
    } finally {
      s.app.hooks.onRecordCreateRequest.unbind(id)
    }
  })

  it('a rule that reads @request.body is decided on the body, as before', async () => {
    const pb = s.client()
    expect((await failure(pb.collection('bodyrule').create({ title: 'no', doc: new File([Buffer.alloc(100_000)], 'a.bin') }))).body.message).toBe('Failed to create record.')
    expect((await pb.collection('bodyrule').create({ title: 'ok', doc: new File([Buffer.alloc(100_000)], 'a.bin') })).title).toBe('ok')
  })
})

describe('superuser-only endpoints refuse before the body', () => {
  it.each([
    ['POST', '/api/collections', 'application/json'],
    ['PUT', '/api/collections/import', 'application/json'],
    ['PATCH', '/api/settings', 'application/json'],
    ['POST', '/api/backups/upload', `multipart/form-data; boundary=${BOUNDARY}`],
  ])('%s %s: a guest gets 401 and a user 403 without sending the 1.5 MB body', async (method, url, type) => {
    const { token } = await signUp(s)
    for (const [auth, status] of [[undefined, 401], [token, 403]] as const) {
      const c = await connectRaw(s.url)
      c.socket.write(`${method} ${url} HTTP/1.1\r\nHost: x\r\n${auth ? `Authorization: ${auth}\r\n` : ''}Content-Type: ${type}\r\nContent-Length: 1500000\r\n\r\n{"a":"`)
      const text = await c.until(/\r\n\r\n\{.*\}/s, 5000)
      expect(statuses(text)).toEqual([status])
      expect(text).toMatch(/connection: close/i)
      await c.closed
    }
  })
})

describe('uploads are spooled to disk', () => {
  it('an accepted upload is stored intact and its temp file removed', async () => {
    const content = Buffer.alloc(300_000)
    for (let i = 0; i < content.length; i++) content[i] = (i * 31) % 251
    const rec = await s.client().collection('small').create({ title: 't', docs: [new File([content], 'one.bin'), new File([Buffer.from('two')], 'two.txt')] })
    expect(rec.docs).toHaveLength(2)
    const res = await fetch(`${s.url}/api/files/small/${rec.id}/${rec.docs[0]}`)
    expect(Buffer.from(await res.arrayBuffer()).equals(content)).toBe(true)
    expect(spooled()).toEqual([])
  })

  it("a file past its field's maxSize → 400 validation_file_size_limit; nothing past the limit was written; temp removed", async () => {
    const f = await failure(s.client().collection('small').create({ title: 't', doc: new File([Buffer.alloc(2_000_000, 1)], 'big.bin') }))
    expect(f.status).toBe(400)
    expect(f.body.data?.doc?.code).toBe('validation_file_size_limit')
    expect(spooled()).toEqual([])
  })

  it('a rejected write (validation, rule) and an upload cut off mid-body leave no temp file', async () => {
    await failure(s.client().collection('bodyrule').create({ title: 'no', doc: new File([Buffer.alloc(200_000)], 'a.bin') }))
    expect(spooled()).toEqual([])
    const c = await connectRaw(s.url)
    const body = multipart('docs', 5_000_000)
    c.socket.write(`POST /api/collections/small/records HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=${BOUNDARY}\r\nContent-Length: ${body.length}\r\n\r\n${body.head}`)
    c.socket.write(Buffer.alloc(500_000, 3))
    await waitFor(() => spooled().length === 1, 5000, 'the part being spooled')
    c.socket.destroy()
    await waitFor(() => spooled().length === 0, 5000, 'the temp file removed after the client went away')
    expect((await su.collection('small').getFullList({ filter: 'title = "ok"' })).length).toBe(0)
  })

  it('leftovers of a crashed process are swept at start', async () => {
    const dir = spoolDirOf(s.dir)
    fs.mkdirSync(dir, { recursive: true })
    const stale = path.join(dir, 'stale')
    fs.writeFileSync(stale, 'x')
    const old = new Date(Date.now() - 2 * 3600_000)
    fs.utimesSync(stale, old, old)
    const { sweepStaleSpool } = await import('../../src/http/upload-spool.ts')
    await sweepStaleSpool(dir)
    expect(fs.existsSync(stale)).toBe(false)
  })
})
