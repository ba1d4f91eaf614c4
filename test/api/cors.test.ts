// CORS: the default answers any origin (PocketBase); BASALT_CORS_ORIGINS / --origins restricts it to a list.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { corsOrigins } from '../../src/config.ts'
import { startServer, type TestServer } from '../support/server.ts'

const APP = 'https://app.example.com'
const EVIL = 'https://evil.example'

describe('CORS with the default (*)', () => {
  let s: TestServer
  beforeAll(async () => { s = await startServer() })
  afterAll(async () => { await s?.close() })

  it('answers every origin with *', async () => {
    const res = await fetch(`${s.url}/api/health`, { headers: { origin: EVIL } })
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
  })
})

describe('CORS with an allow list', () => {
  let s: TestServer
  beforeAll(async () => { s = await startServer({ corsOrigins: corsOrigins(`${APP}, http://localhost:5173`, 'test') }) })
  afterAll(async () => { await s?.close() })

  it('echoes a listed origin with Vary: Origin, on answers and errors alike', async () => {
    for (const path of ['/api/health', '/api/collections/nope/records']) {
      const res = await fetch(`${s.url}${path}`, { headers: { origin: APP } })
      expect(res.headers.get('access-control-allow-origin')).toBe(APP)
      expect(res.headers.get('vary')).toMatch(/origin/i)
      expect(res.headers.get('access-control-allow-credentials')).toBeNull()
    }
  })

  it('gives another origin no allow header, and its preflight no allow-methods', async () => {
    const res = await fetch(`${s.url}/api/health`, { headers: { origin: EVIL } })
    expect(res.status).toBe(200) // the server answers; the browser withholds the body from the page
    expect(res.headers.get('access-control-allow-origin')).toBeNull()
    const pre = await fetch(`${s.url}/api/collections/users/records`, {
      method: 'OPTIONS', headers: { origin: EVIL, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    })
    expect(pre.status).toBe(204)
    expect(pre.headers.get('access-control-allow-origin')).toBeNull()
    expect(pre.headers.get('access-control-allow-methods')).toBeNull()
    const ok = await fetch(`${s.url}/api/collections/users/records`, {
      method: 'OPTIONS', headers: { origin: APP, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    })
    expect(ok.headers.get('access-control-allow-origin')).toBe(APP)
    expect(ok.headers.get('access-control-allow-methods')).toContain('POST')
    expect(ok.headers.get('access-control-allow-headers')).toBe('content-type')
  })

  it('applies to the realtime stream too', async () => {
    const ac = new AbortController()
    for (const [origin, expected] of [[APP, APP], [EVIL, null]] as const) {
      const res = await fetch(`${s.url}/api/realtime`, { headers: { origin }, signal: ac.signal })
      expect(res.headers.get('access-control-allow-origin')).toBe(expected)
      await res.body?.cancel()
    }
    ac.abort()
  })
})

describe('corsOrigins()', () => {
  it('accepts * or exact origins and refuses anything else, naming the entry', () => {
    expect(corsOrigins('*', 'X')).toEqual(['*'])
    expect(corsOrigins('https://A.example.com/, http://localhost:3000', 'X')).toEqual(['https://a.example.com', 'http://localhost:3000'])
    expect(() => corsOrigins('', 'X')).toThrow(/X: must list/)
    expect(() => corsOrigins('*,https://a.example', 'X')).toThrow(/cannot be combined/)
    expect(() => corsOrigins('https://a.example/path', 'X')).toThrow(/"https:\/\/a.example\/path"/)
    expect(() => corsOrigins('ftp://a.example', 'X')).toThrow(/not an origin/)
    expect(() => corsOrigins('a.example', 'X')).toThrow(/not an origin/)
  })
})
