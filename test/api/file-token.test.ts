// File tokens through the SDK: pb.files.getToken() and protected files fetched with ?token=.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type PocketBase from 'pocketbase'
import { startServer, type TestServer } from '../support/server.ts'
import { failure, jwtPayload, signUp } from './helpers.ts'

let s: TestServer
let su: PocketBase
let owner: Awaited<ReturnType<typeof signUp>>
let other: Awaited<ReturnType<typeof signUp>>
let rec: Record<string, any>

const fetchStatus = async (url: string) => (await fetch(url)).status

beforeAll(async () => {
  s = await startServer()
  su = await s.superuser()
  await su.collections.create({
    name: 'vault', listRule: 'owner = @request.auth.id', viewRule: 'owner = @request.auth.id', createRule: '@request.auth.id != ""',
    fields: [{ name: 'owner', type: 'text' }, { name: 'doc', type: 'file', maxSelect: 1, protected: true }],
  })
  owner = await signUp(s)
  other = await signUp(s)
  const form = new FormData()
  form.append('owner', owner.record.id)
  form.append('doc', new File(['secret text'], 'secret.txt', { type: 'text/plain' }))
  rec = await owner.pb.collection('vault').create(form)
})
afterAll(() => s?.close())

describe('POST /api/files/token', () => {
  it('issues a short-lived file token for the authenticated record', async () => {
    const token = await owner.pb.files.getToken()
    const claims = jwtPayload(token)
    expect(claims).toMatchObject({ type: 'file', id: owner.record.id, collectionId: owner.record.collectionId })
    const ttl = (claims.exp as number) - Math.floor(Date.now() / 1000)
    expect(ttl).toBeGreaterThan(170)
    expect(ttl).toBeLessThanOrEqual(180)
    expect(jwtPayload(await su.files.getToken())).toMatchObject({ type: 'file', collectionId: su.authStore.record!.collectionId })
  })

  it('answers 401 to guests', async () => {
    const f = await failure(s.client().files.getToken())
    expect(f.status).toBe(401)
    expect(f.body).toMatchObject({ status: 401, data: {} })
  })
})

describe('protected files with ?token=', () => {
  it('the owner\'s file token opens the file; no token, another user\'s token or an auth token do not', async () => {
    const url = (token?: string) => owner.pb.files.getURL(rec, rec.doc, token ? { token } : {})
    const res = await fetch(url(await owner.pb.files.getToken()))
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('secret text')
    expect(await fetchStatus(url())).toBe(404)
    expect(await fetchStatus(url(await other.pb.files.getToken()))).toBe(404)
    // An auth token is not a file token (and a file token is not an auth token).
    expect(await fetchStatus(url(owner.token))).toBe(404)
    const fileToken = await owner.pb.files.getToken()
    const viaHeader = await fetch(`${s.url}/api/collections/vault/records/${rec.id}`, { headers: { Authorization: fileToken } })
    expect(viaHeader.status).toBe(404)
    expect(await fetchStatus(url('garbage.token.value'))).toBe(404)
    // Superusers pass every rule.
    expect(await fetchStatus(url(await su.files.getToken()))).toBe(200)
  })
})
