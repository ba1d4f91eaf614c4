// NUL (U+0000) in any request string: one rule on both stores — a clear 400, nothing stored (PostgreSQL 500ed before).
import net from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectClientError, q, raw, setupWorld, snapshot, type RawResponse, type World } from './fixture.ts'

let w: World
beforeAll(async () => { w = await setupWorld() })
afterAll(async () => { await w?.close() })

const NUL = '\u0000'
const posts = '/api/collections/posts/records'

function expectNulField(res: RawResponse, field: string) {
  expectClientError(res, 400)
  expect(res.json.data[field]?.code, res.text).toBe('validation_invalid_nul')
}

function form(fields: Record<string, string>, file?: { field: string; name: string }): FormData {
  const fd = new FormData()
  for (const [k, v] of Object.entries(fields)) fd.append(k, v)
  if (file) fd.append(file.field, new Blob(['hello'], { type: 'text/plain' }), file.name)
  return fd
}

describe('record bodies', () => {
  const create = (opts: Parameters<typeof raw>[3]) => raw(w, 'POST', posts, { token: w.a.token, ...opts })

  it.each([
    ['a text field', { title: `a${NUL}b` }, 'title'],
    ['a nested json value', { meta: { deep: [{ x: `v${NUL}` }] } }, 'meta'],
    ['a json object key', { meta: { [`k${NUL}`]: 1 } }, 'meta'],
    ['an unknown field', { [`x${NUL}`]: 'y' }, 'x'],
  ])('JSON create with NUL in %s answers 400 per field and stores nothing', async (_what, body, field) => {
    const before = await snapshot(w)
    expectNulField(await create({ body: { owner: w.a.id, ...body } }), field)
    expect(await snapshot(w)).toBe(before)
  })

  it('JSON update with NUL answers 400 and leaves the record as it was', async () => {
    const before = await snapshot(w)
    expectNulField(await raw(w, 'PATCH', `${posts}/${w.postA1}`, { token: w.a.token, body: { title: `x${NUL}` } }), 'title')
    expect(await snapshot(w)).toBe(before)
  })

  it('multipart fields and @jsonPayload with NUL answer 400', async () => {
    const before = await snapshot(w)
    expectNulField(await create({ rawBody: form({ owner: w.a.id, title: `m${NUL}` }) }), 'title')
    expectNulField(await create({ rawBody: form({ '@jsonPayload': JSON.stringify({ owner: w.a.id, meta: { a: NUL } }) }) }), 'meta')
    expect(await snapshot(w)).toBe(before)
  })

  it('urlencoded fields with NUL (%00) answer 400', async () => {
    const res = await create({ rawBody: `owner=${w.a.id}&title=u%00v`, headers: { 'content-type': 'application/x-www-form-urlencoded' } })
    expectNulField(res, 'title')
  })

  it('a file name with NUL is stripped (file names are rewritten anyway), the upload succeeds', async () => {
    const res = await create({ rawBody: form({ owner: w.a.id, title: 'with file' }, { field: 'doc', name: `evil.php${NUL}.txt` }) })
    expect(res.status, res.text).toBe(200)
    expect(res.json.doc).toHaveLength(1)
    expect(res.json.doc[0]).toMatch(/^evil_?php_?[a-z0-9_]*\.txt$/)
    expect(res.json.doc[0]).not.toContain(NUL)
  })
})

describe('filters, sort and query parameters', () => {
  it.each([
    ['filter', q({ filter: `title = "a${NUL}"` }), /^Invalid filter/],
    ['filter (%00 inside the literal)', `?filter=title%3D%22a%00%22`, /^Invalid filter/],
    ['sort', `?sort=title%00`, /^Invalid sort/],
    ['expand', `?expand=owner%00`, /query parameter "expand"/],
    ['fields', `?fields=id%00`, /query parameter "fields"/],
  ])('%s with NUL answers 400 on list', async (_name, query, message) => {
    const res = await raw(w, 'GET', posts + query, { token: w.a.token })
    expectClientError(res, 400)
    expect(res.json.message).toMatch(message)
  })

  it('a query parameter read by a rule (@request.query.*) with NUL answers 400', async () => {
    const res = await raw(w, 'GET', `${posts}?mode=%00`, { token: w.a.token })
    expectClientError(res, 400)
    expect(res.json.data.mode?.code).toBe('validation_invalid_nul')
  })

  it('a path parameter with NUL answers 400 on view, update and delete', async () => {
    for (const method of ['GET', 'PATCH', 'DELETE']) {
      const res = await raw(w, method, `${posts}/${w.postA1}%00`, { token: w.a.token, ...(method === 'PATCH' ? { body: { title: 'x' } } : {}) })
      expectClientError(res, 400)
    }
    expectClientError(await raw(w, 'GET', `/api/collections/posts%00/records`, { token: w.a.token }), 400)
  })
})

describe('every other endpoint class', () => {
  it('auth: auth-with-password, request-otp, request-password-reset', async () => {
    for (const [path, body, field] of [
      ['/api/collections/users/auth-with-password', { identity: `${w.a.email}${NUL}`, password: 'x' }, 'identity'],
      ['/api/collections/users/request-otp', { email: `a${NUL}@example.com` }, 'email'],
      ['/api/collections/users/request-password-reset', { email: `a${NUL}@example.com` }, 'email'],
    ] as const) {
      expectNulField(await raw(w, 'POST', path, { body }), field)
    }
  })

  it('collections and settings (superuser)', async () => {
    expectNulField(await raw(w, 'POST', '/api/collections', { token: w.suToken, body: { name: `c${NUL}`, type: 'base' } }), 'name')
    expectNulField(await raw(w, 'PATCH', '/api/settings', { token: w.suToken, body: { meta: { appName: `x${NUL}` } } }), 'meta')
    const settings = await raw(w, 'GET', '/api/settings', { token: w.suToken })
    expect(settings.json.meta.appName).not.toContain(NUL)
  })

  it('realtime: NUL in a subscription topic or its options answers 400', async () => {
    const options = encodeURIComponent(JSON.stringify({ query: { filter: `title = "${NUL}"` } }))
    const res = await raw(w, 'POST', '/api/realtime', { body: { clientId: 'x'.repeat(40), subscriptions: [`posts/*?options=${options}`] } })
    expectClientError(res, 400)
    expect(res.json.data.subscriptions['0'].code).toBe('validation_invalid_nul')
  })
})

describe('headers', () => {
  it('a NUL in a header value is refused by the HTTP parser with a 400 before any route runs', async () => {
    const { port } = new URL(w.s.url)
    const reply = await new Promise<string>((resolve, reject) => {
      const sock = net.connect(Number(port), '127.0.0.1', () => {
        sock.write(`GET /api/collections/posts/records HTTP/1.1\r\nHost: x\r\nX-Mode: a${NUL}b\r\nConnection: close\r\n\r\n`)
      })
      let out = ''
      sock.on('data', (d) => (out += d))
      sock.on('close', () => resolve(out))
      sock.on('error', reject)
    })
    expect(reply).toMatch(/^HTTP\/1\.1 400 /)
  })
})
