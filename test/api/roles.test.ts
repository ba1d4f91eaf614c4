// Roles with inheritance (Basalt extension): `_roles`, the hidden `users.roles` relation, `@request.auth.roles` in rules.
import type PocketBase from 'pocketbase'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, waitFor, type TestServer } from '../support/server.ts'
import { failure, signUp } from './helpers.ts'

let s: TestServer
let su: PocketBase
const role: Record<string, string> = {}

beforeAll(async () => {
  s = await startServer()
  su = await s.superuser()
  role.viewer = (await su.collection('_roles').create({ name: 'viewer' })).id
  role.editor = (await su.collection('_roles').create({ name: 'editor', inherits: [role.viewer] })).id
  role.admin = (await su.collection('_roles').create({ name: 'admin', inherits: [role.editor] })).id
  await su.collections.create({
    name: 'docs',
    fields: [{ name: 'title', type: 'text' }],
    listRule: '@request.auth.roles ?= "viewer"',
    viewRule: '@request.auth.roles ?= "viewer"',
    createRule: '@request.auth.roles ?= "editor"',
    updateRule: '@request.auth.roles ?= "editor"',
    deleteRule: '@request.auth.roles ?= "admin"',
  })
  await su.collection('docs').create({ title: 'first' })
})
afterAll(() => s.close())

async function userWithRoles(ids: string[]) {
  const u = await signUp(s)
  if (ids.length) await su.collection('users').update(u.record.id, { roles: ids })
  return u
}

describe('roles with inheritance', () => {
  it('an editor inherits viewer: may list and create, may not delete', async () => {
    const { pb } = await userWithRoles([role.editor])
    expect((await pb.collection('docs').getList()).totalItems).toBeGreaterThanOrEqual(1)
    const doc = await pb.collection('docs').create({ title: 'by editor' })
    expect((await failure(pb.collection('docs').delete(doc.id))).status).toBe(404)
  })

  it('an admin inherits editor and viewer transitively: may delete', async () => {
    const { pb } = await userWithRoles([role.admin])
    const doc = await pb.collection('docs').create({ title: 'to delete' })
    await pb.collection('docs').delete(doc.id)
    expect((await failure(su.collection('docs').getOne(doc.id))).status).toBe(404)
  })

  it('without roles: the list is filtered to nothing and create is refused', async () => {
    const { pb } = await userWithRoles([])
    expect((await pb.collection('docs').getList()).totalItems).toBe(0)
    expect((await failure(pb.collection('docs').create({ title: 'nope' }))).status).toBe(400)
  })

  it('a user cannot grant itself roles (the field is hidden and superuser-only)', async () => {
    const { pb, record } = await userWithRoles([])
    await pb.collection('users').update(record.id, { roles: [role.admin] })
    const stored = await su.collection('users').getOne(record.id)
    expect(stored.roles).toEqual([])
    expect((await pb.collection('users').getOne(record.id)).roles).toBeUndefined()
    expect((await failure(pb.collection('docs').create({ title: 'escalated?' }))).status).toBe(400)
  })

  it('role changes apply to the next request (no re-login needed)', async () => {
    const temp = await su.collection('_roles').create({ name: 'temp' })
    const { pb } = await userWithRoles([temp.id])
    expect((await pb.collection('docs').getList()).totalItems).toBe(0)
    await su.collection('_roles').update(temp.id, { inherits: [role.viewer] })
    await waitFor(async () => (await pb.collection('docs').getList()).totalItems > 0, 5000, 'inherited viewer role')
    await su.collection('_roles').update(temp.id, { inherits: [] })
    await waitFor(async () => (await pb.collection('docs').getList()).totalItems === 0, 5000, 'revoked role')
  })

  it('inheritance cycles are harmless', async () => {
    const a = await su.collection('_roles').create({ name: 'cycle_a' })
    const b = await su.collection('_roles').create({ name: 'cycle_b', inherits: [a.id, role.viewer] })
    await su.collection('_roles').update(a.id, { inherits: [b.id] })
    const { pb } = await userWithRoles([a.id])
    expect((await pb.collection('docs').getList()).totalItems).toBeGreaterThan(0)
  })

  it('roles are managed by superusers only', async () => {
    const { pb } = await userWithRoles([role.admin])
    expect((await failure(pb.collection('_roles').getList())).status).toBe(403)
    expect((await failure(pb.collection('_roles').create({ name: 'mine' }))).status).toBe(403)
    expect((await failure(su.collection('_roles').create({ name: 'viewer' }))).status).toBe(400)
  })

  it('realtime events follow the same role rules', async () => {
    const viewer = await userWithRoles([role.viewer])
    const nobody = await userWithRoles([])
    const seen: Record<string, string[]> = { viewer: [], nobody: [] }
    await viewer.pb.collection('docs').subscribe('*', (e) => seen.viewer.push(e.record.title))
    await nobody.pb.collection('docs').subscribe('*', (e) => seen.nobody.push(e.record.title))
    await su.collection('docs').create({ title: 'live' })
    await waitFor(() => seen.viewer.includes('live'), 5000, 'viewer event')
    expect(seen.nobody).toEqual([])
    await viewer.pb.realtime.unsubscribe()
    await nobody.pb.realtime.unsubscribe()
  })
})
