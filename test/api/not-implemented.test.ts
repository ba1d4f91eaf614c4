// PocketBase endpoints Basalt lacks would answer a PocketBase-shaped 501 naming the feature; unknown
// paths stay 404. Today the table is empty: every PocketBase endpoint is implemented.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type TestServer } from '../support/server.ts'
import { NOT_IMPLEMENTED, notImplemented, notImplementedRow } from '../../src/http/routes/not-implemented.ts'

let s: TestServer
beforeAll(async () => { s = await startServer() })
afterAll(async () => { await s?.close() })

describe('not implemented yet', () => {
  it('the table is empty: no PocketBase endpoint answers 501', () => {
    expect(NOT_IMPLEMENTED).toEqual([])
  })

  it('a table row gives a PocketBase-shaped 501 naming the feature, for its method and path only', () => {
    const table = [notImplementedRow('POST', '/api/things/:x/frob', 'Frobbing things')]
    const err = notImplemented('POST', '/api/things/abc/frob?x=1', table)
    expect(err?.status).toBe(501)
    expect(err?.message).toBe('Not implemented in Basalt yet: Frobbing things (POST /api/things/:id/frob). See docs/api.md.')
    expect(notImplemented('GET', '/api/things/abc/frob', table)).toBeNull()
    expect(notImplemented('POST', '/api/things/abc/other', table)).toBeNull()
  })

  it('a path PocketBase does not have either is still a 404', async () => {
    const res = await fetch(`${s.url}/api/no-such-endpoint`)
    expect(res.status).toBe(404)
    expect(await res.json()).toMatchObject({ status: 404, data: {} })
  })

  it('a real route always wins (GET /api/health is implemented)', async () => {
    expect((await fetch(`${s.url}/api/health`)).status).toBe(200)
  })
})
