// PocketBase endpoints Basalt lacks answer a PocketBase-shaped 501 naming the feature; unknown paths stay 404.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type TestServer } from '../support/server.ts'
import { failure } from './helpers.ts'

let s: TestServer
beforeAll(async () => { s = await startServer() })
afterAll(async () => { await s?.close() })

describe('not implemented yet', () => {
  it('POST /api/settings/apple/generate-client-secret answers 501 in PocketBase shape', async () => {
    const su = await s.superuser()
    const f = await failure(su.send('/api/settings/apple/generate-client-secret', { method: 'POST', body: {} }))
    expect(f.status).toBe(501)
    expect(f.body).toEqual({
      status: 501,
      message: 'Not implemented in Basalt yet: Apple OAuth2 client secret generation (POST /api/settings/apple/generate-client-secret). See docs/api.md.',
      data: {},
    })
  })

  it('a path PocketBase does not have either is still a 404', async () => {
    const res = await fetch(`${s.url}/api/no-such-endpoint`)
    expect(res.status).toBe(404)
    expect(await res.json()).toMatchObject({ status: 404, data: {} })
  })

  it('a real route always wins over the table (GET /api/health is implemented)', async () => {
    expect((await fetch(`${s.url}/api/health`)).status).toBe(200)
  })
})
