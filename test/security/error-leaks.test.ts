// SECURITY.md L9 (+ A1 "no driver text", 13.4.6 no version banner): errors are generic and shaped; nothing leaks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { allSecrets, expectClientError, expectNoLeak, raw, setupWorld, type World } from './fixture.ts'

let w: World
let secrets: string[]
const GENERIC_500 = { status: 500, message: 'Something went wrong while processing your request.', data: {} }

beforeAll(async () => {
  w = await setupWorld()
  secrets = await allSecrets(w)
})
afterAll(async () => { await w?.close() })

/** Temporarily replaces a method on a live service object. */
async function withFault<T extends object, K extends keyof T>(obj: T, key: K, impl: T[K], run: () => Promise<void>) {
  const original = obj[key]
  obj[key] = impl
  try { await run() } finally { obj[key] = original }
}

describe('L9 unexpected failures → generic 500', () => {
  it('an internal error carrying SQL, paths and a stack is not echoed', async () => {
    const boom = () => {
      const err = new Error(`SqliteError: no such column: "r"."secret" near "SELECT * FROM posts WHERE secret = '${w.secrets[w.postA1]}'" at /work/main/src/store/sqlite-store.ts:42`)
      ;(err as { code?: string }).code = 'SQLITE_ERROR'
      throw err
    }
    const records = w.s.app.records as unknown as Record<string, unknown>
    for (const method of ['list', 'view', 'create', 'update', 'delete']) {
      await withFault(records, method, async () => boom(), async () => {
        const path = method === 'list' || method === 'create' ? '/api/collections/posts/records' : `/api/collections/posts/records/${w.postA1}`
        const verb = { list: 'GET', view: 'GET', create: 'POST', update: 'PATCH', delete: 'DELETE' }[method]!
        const res = await raw(w, verb, path, { token: w.a.token, body: verb === 'POST' || verb === 'PATCH' ? { title: 'x', owner: w.a.id } : undefined })
        expect(res.status, method).toBe(500)
        expect(res.json).toEqual(GENERIC_500)
        expectNoLeak(res, secrets)
        expect(res.headers.get('x-content-type-options')).toBe('nosniff')
      })
    }
  })
  it('non-Error throwables and errors with a fake status are generic too', async () => {
    const records = w.s.app.records as unknown as Record<string, unknown>
    for (const thrown of ['plain string with /etc/passwd', { statusCode: 200, message: 'SELECT 1' }, { status: 418, message: 'teapot SQLITE_' }, null, new RangeError('Maximum call stack size exceeded')]) {
      await withFault(records, 'list', async () => { throw thrown }, async () => {
        const res = await raw(w, 'GET', '/api/collections/posts/records', { token: w.a.token })
        expect(res.status, JSON.stringify(thrown)).toBeGreaterThanOrEqual(400)
        expectNoLeak(res, secrets)
        expect(res.text).not.toMatch(/teapot|SELECT 1|passwd/)
        if (res.status >= 500) expect(res.json).toEqual(GENERIC_500)
      })
    }
  })
  it('an auth-layer failure does not turn into a bypass (fails closed)', async () => {
    const auth = w.s.app.auth as unknown as Record<string, unknown>
    await withFault(auth, 'authenticate', async () => { throw new Error('db down at /work/x.ts:1') }, async () => {
      const res = await raw(w, 'GET', '/api/collections/posts/records', { token: w.a.token })
      expect(res.status).toBe(500)
      expect(res.json).toEqual(GENERIC_500)
      const su = await raw(w, 'GET', '/api/collections', { token: w.suToken })
      expect(su.status).toBe(500)
    })
    expect((await raw(w, 'GET', '/api/collections/posts/records', { token: w.a.token })).json.totalItems).toBe(2)
  })
})

describe('framework errors keep the PocketBase shape', () => {
  it('unknown routes and methods → JSON 404, no framework text', async () => {
    for (const [method, path] of [['GET', '/api/nope'], ['PUT', '/api/health'], ['POST', '/api/health'], ['GET', '/'], ['GET', '/api/collections/posts/records/x/y']] as const) {
      const res = await raw(w, method, path)
      expect(res.status, `${method} ${path}`).toBeGreaterThanOrEqual(400)
      expect(res.status).toBeLessThan(500)
      if (res.json) {
        expect(res.json.status).toBe(res.status)
        expect(res.text).not.toMatch(/Route .* not found|fastify|FST_/i)
      }
      expectNoLeak(res, secrets)
    }
  })
  it('malformed URLs and parameters → 4xx JSON', async () => {
    for (const path of ['/api/collections/%ZZ/records', '/api/collections/posts/records/%', '/api/files/posts/%E0%A4%A/x.png', `/api/collections/${'a'.repeat(6000)}/records`, '/api/collections/posts/records?filter=%', '/api/collections/posts/records?%=%', '/api/collections/posts/records?filter=%C0%AF']) {
      const res = await raw(w, 'GET', path, { token: w.a.token })
      // Unknown query keys are ignored (PocketBase), so only a malformed path must be refused.
      if (!path.includes('?%=')) expect(res.status, path).toBeGreaterThanOrEqual(400)
      expect(res.status, `${path}: ${res.text}`).toBeLessThan(500)
      expectNoLeak(res, secrets)
      expect(res.text).not.toMatch(/FST_|fastify/i)
    }
  })
  it('no version banner or framework fingerprint headers', async () => {
    for (const path of ['/api/health', '/api/nope', '/api/collections/posts/records?filter=(']) {
      const res = await raw(w, 'GET', path)
      expect(res.headers.get('x-powered-by')).toBeNull()
      expect(res.headers.get('server')).toBeNull()
      expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    }
  })
  it('validation errors name fields, never values of other records', async () => {
    const res = await raw(w, 'POST', '/api/collections/users/records', { body: { email: w.b.email, password: 'password123', passwordConfirm: 'password123' } })
    expectClientError(res, 400, secrets)
    expect(res.json.data.email.code).toBe('validation_not_unique')
    expect(res.text).not.toContain(w.b.id)
  })
  it('login failure is the same for unknown identity and wrong password', async () => {
    const unknown = await raw(w, 'POST', '/api/collections/users/auth-with-password', { body: { identity: 'nobody@example.com', password: 'whatever123' } })
    const wrong = await raw(w, 'POST', '/api/collections/users/auth-with-password', { body: { identity: w.a.email, password: 'whatever123' } })
    expectClientError(unknown, 400, secrets)
    expect(wrong.status).toBe(unknown.status)
    expect(wrong.json).toEqual(unknown.json)
  })
})
