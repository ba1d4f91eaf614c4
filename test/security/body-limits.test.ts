// SECURITY.md I1/I2 (+ I7, H7 body side): oversized, deeply nested and malformed bodies → clean 4xx, nothing stored.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { allSecrets, dbRows, expectClientError, expectNoLeak, raw, setupWorld, snapshot, type World } from './fixture.ts'

let w: World
let secrets: string[]
let before: string
const JSON_LIMIT = 4 * 1024
const MULTIPART_LIMIT = 64 * 1024
const posts = '/api/collections/posts/records'

beforeAll(async () => {
  w = await setupWorld({ config: { jsonBodyLimit: JSON_LIMIT, multipartBodyLimit: MULTIPART_LIMIT } })
  secrets = await allSecrets(w)
  before = await snapshot(w)
})
afterAll(async () => {
  if (w) {
    expect(await snapshot(w)).toBe(before)
    expect((await raw(w, 'GET', '/api/health')).status).toBe(200)
  }
  await w?.close()
})

const json = (rawBody: string, path = posts, token = w.a.token, method = 'POST') => raw(w, method, path, { token, rawBody, headers: { 'content-type': 'application/json' } })

describe('I1 size limits', () => {
  it('JSON over the limit → 413 (create, update, auth, realtime)', async () => {
    const big = JSON.stringify({ title: 'x'.repeat(JSON_LIMIT + 10), owner: w.a.id })
    expectClientError(await json(big), 413, secrets)
    expectClientError(await json(big, `${posts}/${w.postA1}`, w.a.token, 'PATCH'), 413, secrets)
    expectClientError(await json(JSON.stringify({ identity: 'a'.repeat(JSON_LIMIT), password: 'x' }), '/api/collections/users/auth-with-password'), 413, secrets)
    expectClientError(await json(JSON.stringify({ clientId: 'x', subscriptions: Array(1000).fill('posts/*') }), '/api/realtime'), 413, secrets)
  })
  it('urlencoded over the JSON limit → 413', async () => {
    const res = await raw(w, 'POST', posts, { token: w.a.token, rawBody: 'title=' + 'x'.repeat(JSON_LIMIT + 10), headers: { 'content-type': 'application/x-www-form-urlencoded' } })
    expectClientError(res, 413, secrets)
  })
  it('a lying Content-Length is not trusted', async () => {
    // Declared small, sent big: fetch recomputes Content-Length, so use chunked transfer instead.
    const body = new ReadableStream({
      start(c) { for (let i = 0; i < 10; i++) c.enqueue(new TextEncoder().encode('{"title":"' + 'y'.repeat(JSON_LIMIT) + '",')); c.close() },
    })
    const res = await fetch(w.s.url + posts, { method: 'POST', headers: { 'content-type': 'application/json', authorization: w.a.token }, body, duplex: 'half' } as RequestInit)
    const text = await res.text()
    expect([400, 413]).toContain(res.status)
    expectNoLeak(text, secrets)
  })
  it('multipart over the limit → 413, nothing written to storage', async () => {
    const fd = new FormData()
    fd.set('title', 'big'); fd.set('owner', w.a.id)
    fd.set('doc', new Blob([new Uint8Array(MULTIPART_LIMIT + 1024)]), 'big.bin')
    const res = await raw(w, 'POST', posts, { token: w.a.token, rawBody: fd })
    expectClientError(res, 413, secrets)
    const many = new FormData()
    many.set('owner', w.a.id)
    for (let i = 0; i < 2000; i++) many.append(`f${i}`, 'v')
    const r2 = await raw(w, 'POST', posts, { token: w.a.token, rawBody: many })
    expect([400, 413], r2.text).toContain(r2.status)
    expectNoLeak(r2, secrets)
  })
})

describe('I2 nesting and malformed JSON', () => {
  it('[ ×100000 and {"a": ×100000 → 400 (or 413), no stack overflow', async () => {
    // Limits raised for this pair so the parser (not the size check) has to deal with the nesting.
    const s2 = await setupWorld({ config: { jsonBodyLimit: 2 * 1024 * 1024 } })
    try {
      for (const rawBody of ['['.repeat(100000), '{"a":'.repeat(100000), '['.repeat(100000) + ']'.repeat(100000), '{"title":' + '['.repeat(50000) + ']'.repeat(50000) + '}', `{"owner":"${s2.a.id}","meta":${'['.repeat(5000)}1${']'.repeat(5000)}}`]) {
        const res = await raw(s2, 'POST', posts, { token: s2.a.token, rawBody, headers: { 'content-type': 'application/json' } })
        expectClientError(res, [400, 413], [])
      }
      const nested = await raw(s2, 'POST', '/api/realtime', { rawBody: '{"clientId":' + '['.repeat(100000), headers: { 'content-type': 'application/json' } })
      expectClientError(nested, [400, 413], [])
      expect((await raw(s2, 'GET', '/api/health')).status).toBe(200)
      expect((await dbRows(s2, 'posts')).length).toBe(3)
    } finally {
      await s2.close()
    }
  })
  it('invalid JSON variants → 400', async () => {
    for (const rawBody of ['{', '{"title":}', "{'title':'x'}", '{"title":"x",}', '{"title":"\\x41"}', 'NaN', '{"a":1}garbage', '\u0000', '{"title":"\ud800"']) {
      const res = await json(rawBody)
      expectClientError(res, 400, secrets)
      expect(res.json.data).toEqual({})
    }
  })
  it('wrong or missing content types → 4xx, not parsed as something else', async () => {
    for (const [ct, body] of [['text/plain', '{"title":"x"}'], ['application/xml', '<x/>'], ['application/json; charset=utf-16', '{"title":"x"}'], ['multipart/form-data', 'garbage'], ['multipart/form-data; boundary=x', '--x\r\nbroken']]) {
      const res = await raw(w, 'POST', posts, { token: w.a.token, rawBody: body, headers: { 'content-type': ct } })
      expect(res.status, `${ct}: ${res.text}`).toBeGreaterThanOrEqual(400)
      expect(res.status).toBeLessThan(500)
      expectNoLeak(res, secrets)
    }
  })
  it('invalid @jsonPayload and lone surrogates in multipart → 400 or U+FFFD, never 500', async () => {
    const fd = new FormData()
    fd.set('owner', w.a.id)
    fd.set('@jsonPayload', '{"title":')
    expectClientError(await raw(w, 'POST', posts, { token: w.a.token, rawBody: fd }), 400, secrets)
    const deep = new FormData()
    deep.set('owner', w.a.id)
    deep.set('@jsonPayload', '{"meta":' + '['.repeat(3000) + ']'.repeat(3000) + '}')
    expectClientError(await raw(w, 'POST', posts, { token: w.a.token, rawBody: deep }), [400, 413], secrets)
  })
})
