// Collection meta endpoints: scaffolds (the default models a new collection starts from).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type PocketBase from 'pocketbase'
import { startServer, type TestServer } from '../support/server.ts'
import { failure, signUp } from './helpers.ts'

let s: TestServer
let su: PocketBase
beforeAll(async () => {
  s = await startServer()
  su = await s.superuser()
})
afterAll(async () => { await s?.close() })

describe('GET /api/collections/meta/scaffolds', () => {
  it('returns base, auth and view models with empty ids and names', async () => {
    const sc = await su.collections.getScaffolds()
    expect(Object.keys(sc).sort()).toEqual(['auth', 'base', 'view'])
    for (const type of ['base', 'auth', 'view'] as const) {
      expect(sc[type]).toMatchObject({ id: '', name: '', type, system: false, listRule: null, viewRule: null, createRule: null, updateRule: null, deleteRule: null })
    }
    expect(sc.base.fields.map((f: any) => f.name)).toEqual(['id'])
    expect(sc.base.indexes).toEqual([])
    expect(sc.auth.fields.map((f: any) => f.name)).toEqual(['id', 'password', 'tokenKey', 'email', 'emailVisibility', 'verified'])
    expect(sc.auth.indexes).toHaveLength(2)
    expect(sc.auth).toMatchObject({ authRule: '', manageRule: null, passwordAuth: { enabled: true, identityFields: ['email'] } })
    expect(sc.auth.authToken).toEqual({ duration: expect.any(Number) }) // no secret
    expect(sc.view).toMatchObject({ viewQuery: '', fields: [], indexes: [] })
    expect(sc.base).not.toHaveProperty('viewQuery')
  })

  it('is for superusers only', async () => {
    expect((await failure(s.client().collections.getScaffolds())).status).toBe(401)
    const { pb } = await signUp(s)
    expect((await failure(pb.collections.getScaffolds())).status).toBe(403)
  })
})
