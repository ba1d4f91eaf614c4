// Superuser impersonation through the SDK: non-refreshable token, access rules (D7), audit trail.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type PocketBase from 'pocketbase'
import { startServer, SUPERUSER, type TestServer } from '../support/server.ts'
import { listAudit } from '../../src/auth/audit.ts'
import { failure, jwtPayload, raw, signUp } from './helpers.ts'

let s: TestServer
let su: PocketBase

beforeAll(async () => {
  s = await startServer()
  su = await s.superuser()
})
afterAll(async () => { await s?.close() })

describe('POST /api/collections/{c}/impersonate/{id}', () => {
  it('SDK impersonate(id, duration) → a client authenticated as that record with a non-refreshable token', async () => {
    const { record } = await signUp(s)
    const before = Math.floor(Date.now() / 1000)
    const imp = await su.collection('users').impersonate(record.id, 3600)
    expect(imp.authStore.record?.id).toBe(record.id)
    expect(imp.authStore.record?.email).toBe(record.email)
    const claims = jwtPayload(imp.authStore.token)
    expect(claims).toMatchObject({ type: 'auth', id: record.id, collectionId: '_pb_users_auth_', refreshable: false })
    expect(Number(claims.exp)).toBeGreaterThanOrEqual(before + 3600)
    expect(Number(claims.exp)).toBeLessThanOrEqual(before + 3602)
    // It acts as the user…
    expect((await imp.collection('users').getOne(record.id)).id).toBe(record.id)
    // …and auth-refresh hands back the very same token (no way to extend an impersonation).
    const token = imp.authStore.token
    const refreshed = await imp.collection('users').authRefresh()
    expect(refreshed.token).toBe(token)
  })

  it('duration 0 or omitted → the collection authToken.duration', async () => {
    const { record } = await signUp(s)
    const duration = (await su.collections.getOne('users')).authToken.duration as number
    const before = Math.floor(Date.now() / 1000)
    const res = await raw(s, `/api/collections/users/impersonate/${record.id}`, { method: 'POST', token: su.authStore.token })
    expect(res.status).toBe(200)
    expect(Number(jwtPayload(res.json.token).exp) - before).toBeGreaterThanOrEqual(duration - 2)
    expect(Number(jwtPayload(res.json.token).exp) - before).toBeLessThanOrEqual(duration + 2)
  })

  it('D7: guest → 401, a regular user → 403, and nothing is audited', async () => {
    const victim = await signUp(s)
    const attacker = await signUp(s)
    const before = (await listAudit(s.app.store, 'impersonate')).length
    expect((await failure(s.client().collection('users').impersonate(victim.record.id, 60))).status).toBe(401)
    expect((await failure(attacker.pb.collection('users').impersonate(victim.record.id, 60))).status).toBe(403)
    expect((await listAudit(s.app.store, 'impersonate')).length).toBe(before)
  })

  it('unknown record or non-auth collection → 404; bad duration → 400', async () => {
    const { record } = await signUp(s)
    expect((await failure(su.collection('users').impersonate('nope00000000000', 60))).status).toBe(404)
    await su.collections.create({ name: 'imp_base', type: 'base', fields: [] })
    expect((await failure(su.collection('imp_base').impersonate(record.id, 60))).status).toBe(404)
    for (const duration of [-1, 1.5, '60', 31 * 24 * 3600]) {
      const res = await raw(s, `/api/collections/users/impersonate/${record.id}`, {
        method: 'POST', token: su.authStore.token, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ duration }),
      })
      expect(res.status).toBe(400)
      expect(res.json.data.duration.code).toEqual(expect.any(String))
    }
  })

  it('writes an audit row (actor, target, client IP) that no record API can reach', async () => {
    const { record } = await signUp(s)
    await su.collection('users').impersonate(record.id, 60)
    const [row] = await listAudit(s.app.store, 'impersonate')
    const root = await su.collection('_superusers').getFirstListItem(`email = "${SUPERUSER.email}"`)
    expect(row).toMatchObject({
      action: 'impersonate', actorCollection: 'pbc_3142635823', actorId: root.id,
      targetCollection: '_pb_users_auth_', targetId: record.id, ip: '127.0.0.1',
    })
    expect((await failure(su.collections.getOne('_audit'))).status).toBe(404)
  })
})
