// Collections admin API: CRUD of base/auth collections, validation errors, access, schema migrations.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type PocketBase from 'pocketbase'
import { startServer, type TestServer } from '../support/server.ts'
import { codeOf, failure, signUp } from './helpers.ts'

let s: TestServer
let su: PocketBase

beforeAll(async () => {
  s = await startServer()
  su = await s.superuser()
})
afterAll(async () => { await s?.close() })

const ALL_FIELDS = [
  { name: 'title', type: 'text', required: true, min: 1, max: 50 },
  { name: 'count', type: 'number', min: 0, max: 1000, onlyInt: true },
  { name: 'active', type: 'bool' },
  { name: 'contact', type: 'email' },
  { name: 'site', type: 'url' },
  { name: 'body', type: 'editor' },
  { name: 'due', type: 'date' },
  { name: 'created', type: 'autodate', onCreate: true, onUpdate: false },
  { name: 'updated', type: 'autodate', onCreate: true, onUpdate: true },
  { name: 'status', type: 'select', values: ['draft', 'live'], maxSelect: 1 },
  { name: 'labels', type: 'select', values: ['a', 'b', 'c'], maxSelect: 3 },
  { name: 'owner', type: 'relation', collectionId: '_pb_users_auth_', maxSelect: 1 },
  { name: 'watchers', type: 'relation', collectionId: '_pb_users_auth_', maxSelect: 5 },
  { name: 'meta', type: 'json' },
  { name: 'doc', type: 'file', maxSelect: 1, maxSize: 1024 },
]

describe('create / view / list / update / delete', () => {
  it('creates a base collection with every field type and returns the full definition', async () => {
    const c = await su.collections.create({ name: 'everything', type: 'base', fields: ALL_FIELDS, listRule: '', viewRule: 'active = true' })
    expect(c.id).toMatch(/^pbc_\d+$/)
    expect(c).toMatchObject({ name: 'everything', type: 'base', system: false, listRule: '', viewRule: 'active = true', createRule: null, updateRule: null, deleteRule: null })
    expect(c.fields.map((f: any) => f.name)).toEqual(['id', ...ALL_FIELDS.map((f) => f.name)])
    expect(c.fields[0]).toMatchObject({ name: 'id', type: 'text', system: true, primaryKey: true, min: 15, max: 15, pattern: '^[a-z0-9]+$' })
    for (const f of c.fields) {
      expect(f.id).toMatch(new RegExp(`^${f.type}\\d+$`))
      expect(f).toHaveProperty('hidden', false)
    }
    expect(c.fields.find((f: any) => f.name === 'watchers')).toMatchObject({ type: 'relation', collectionId: '_pb_users_auth_', maxSelect: 5, cascadeDelete: false })
    expect(c.fields.find((f: any) => f.name === 'labels')).toMatchObject({ values: ['a', 'b', 'c'], maxSelect: 3 })

    const viewed = await su.collections.getOne('everything')
    expect(viewed).toEqual(c)
    expect(await su.collections.getOne(c.id)).toEqual(c)
    const listed = await su.collections.getList(1, 100, { filter: 'name = "everything"' })
    expect(listed.items.map((x) => x.id)).toEqual([c.id])
  })

  it('creates an auth collection with the auth system fields and no secrets', async () => {
    const c = await su.collections.create({ name: 'members', type: 'auth', fields: [{ name: 'nick', type: 'text' }] })
    expect(c.type).toBe('auth')
    const names = c.fields.map((f: any) => f.name)
    for (const n of ['id', 'password', 'tokenKey', 'email', 'emailVisibility', 'verified', 'nick']) expect(names).toContain(n)
    expect(c.fields.find((f: any) => f.name === 'password')).toMatchObject({ type: 'password', hidden: true, system: true })
    expect(c.passwordAuth).toMatchObject({ enabled: true, identityFields: ['email'] })
    expect(c.authToken?.duration).toBeGreaterThan(0)
    expect(JSON.stringify(c)).not.toMatch(/"secret"/)
    // records of it can sign up once the create rule allows it
    await su.collections.update('members', { createRule: '' })
    const rec = await s.client().collection('members').create({ email: 'm@example.com', password: 'password-1', passwordConfirm: 'password-1', nick: 'em' })
    expect(rec).toMatchObject({ nick: 'em', verified: false })
    expect(rec).not.toHaveProperty('password')
    expect(rec).not.toHaveProperty('tokenKey')
  })

  it('updates rules and fields, then deletes the collection', async () => {
    await su.collections.create({ name: 'temp', fields: [{ name: 'a', type: 'text' }] })
    const upd = await su.collections.update('temp', { listRule: 'a != ""', deleteRule: '' })
    expect(upd).toMatchObject({ listRule: 'a != ""', deleteRule: '', viewRule: null })
    await su.collections.delete('temp')
    expect((await failure(su.collections.getOne('temp'))).status).toBe(404)
    expect((await failure(s.client().collection('temp').getList())).status).toBe(404)
  })

  it('the list supports filter and sort on id, name, type, system, created', async () => {
    await new Promise((r) => setTimeout(r, 5))
    const newest = await su.collections.create({ name: 'zz_newest', fields: [] })
    const names = async (opts: Record<string, string>) => (await su.collections.getFullList(opts)).map((c) => c.name)
    const systemNames = await names({ filter: 'system = true' })
    expect(systemNames).toEqual(expect.arrayContaining(['_roles', '_superusers']))
    expect(systemNames.every((n: string) => n.startsWith('_'))).toBe(true)
    expect(await names({ filter: 'type = "auth" && system = false', sort: 'name' })).toEqual(['members', 'users'])
    expect(await names({ filter: "name ~ 'NEWEST'" })).toEqual(['zz_newest'])
    expect(await names({ filter: 'type != "auth"' })).not.toContain('users')
    expect((await names({ sort: '-created' }))[0]).toBe('zz_newest')
    const sorted = await names({ sort: '-name' })
    expect(sorted).toEqual([...sorted].sort().reverse())
    expect((await su.collections.getList(1, 1, { filter: `id = "${newest.id}"` })).totalItems).toBe(1)
    expect((await failure(su.collections.getList(1, 10, { sort: 'fields' }))).status).toBe(400)
  })

  it('truncate removes every record but keeps the collection', async () => {
    await su.collections.create({ name: 'trunc', fields: [{ name: 'a', type: 'text' }], listRule: '' })
    for (const a of ['1', '2', '3']) await su.collection('trunc').create({ a })
    await su.collections.truncate('trunc')
    expect((await su.collection('trunc').getList()).totalItems).toBe(0)
    expect((await su.collections.getOne('trunc')).name).toBe('trunc')
  })
})

describe('relations on delete', () => {
  beforeAll(async () => {
    const parent = await su.collections.create({ name: 'parents', fields: [{ name: 'n', type: 'text' }] })
    await su.collections.create({
      name: 'kids',
      fields: [
        { name: 'n', type: 'text' },
        { name: 'parent', type: 'relation', collectionId: parent.id, maxSelect: 1, cascadeDelete: true },
        { name: 'others', type: 'relation', collectionId: parent.id, maxSelect: 5 },
      ],
    })
    await su.collections.create({ name: 'pinned', fields: [{ name: 'parent', type: 'relation', collectionId: parent.id, maxSelect: 1, required: true }] })
  })

  it('cascadeDelete removes the referencing record; a multi relation just loses the id', async () => {
    const p1 = await su.collection('parents').create({ n: 'p1' })
    const p2 = await su.collection('parents').create({ n: 'p2' })
    const kid = await su.collection('kids').create({ n: 'k', parent: p1.id })
    const other = await su.collection('kids').create({ n: 'o', parent: p2.id, others: [p1.id, p2.id] })
    await su.collection('parents').delete(p1.id)
    expect((await failure(su.collection('kids').getOne(kid.id))).status).toBe(404)
    const after = await su.collection('kids').getOne(other.id)
    expect(after.others).toEqual([p2.id])
    expect(after.parent).toBe(p2.id)
  })

  it('a required non-cascading reference blocks the delete', async () => {
    const p = await su.collection('parents').create({ n: 'held' })
    await su.collection('pinned').create({ parent: p.id })
    const f = await failure(su.collection('parents').delete(p.id))
    expect(f.status).toBe(400)
    expect((await su.collection('parents').getOne(p.id)).n).toBe('held')
  })

  it('a collection referenced by relations cannot be deleted', async () => {
    expect((await failure(su.collections.delete('parents'))).status).toBe(400)
    expect((await su.collections.getOne('parents')).name).toBe('parents')
  })
})

describe('validation errors', () => {
  beforeAll(async () => { await su.collections.create({ name: 'taken', fields: [{ name: 'x', type: 'text' }] }) })

  it.each([
    ['duplicate name', { name: 'taken' }, (d: any) => d.name?.code, 'validation_collection_name_exists'],
    ['duplicate name, other case', { name: 'TAKEN' }, (d: any) => d.name?.code, 'validation_collection_name_exists'],
    ['bad collection name', { name: 'has space' }, (d: any) => d.name?.code, 'validation_match_invalid'],
    ['bad field name', { name: 'c1', fields: [{ name: 'bad-name', type: 'text' }] }, (d: any) => d.fields?.[1]?.name?.code, 'validation_match_invalid'],
    ['reserved field name', { name: 'c2', fields: [{ name: 'expand', type: 'text' }] }, (d: any) => d.fields?.[1]?.name?.code, 'validation_not_in_invalid'],
    ['duplicate field name', { name: 'c3', fields: [{ name: 'a', type: 'text' }, { name: 'a', type: 'number' }] }, (d: any) => d.fields?.[2]?.name?.code, 'validation_duplicated_field_name'],
    ['invalid rule syntax', { name: 'c4', listRule: 'title ==== 1' }, (d: any) => d.listRule?.code, 'validation_invalid_rule'],
    ['rule with unknown field', { name: 'c5', viewRule: 'nope = 1' }, (d: any) => d.viewRule?.code, 'validation_invalid_rule'],
  ])('%s → 400 with a field error', async (_label, body, pick, code) => {
    const before = (await su.collections.getFullList()).length
    const f = await failure(su.collections.create(body))
    expect(f.status).toBe(400)
    expect(f.body).toMatchObject({ status: 400, message: expect.any(String) })
    expect(pick(f.body.data)).toBe(code)
    expect((await su.collections.getFullList()).length).toBe(before)
  })

  it('an invalid rule on update is rejected and the old rule stays', async () => {
    const f = await failure(su.collections.update('taken', { listRule: 'missing_field > 1' }))
    expect(codeOf(f, 'listRule')).toBe('validation_invalid_rule')
    expect((await su.collections.getOne('taken')).listRule).toBeNull()
  })

  it('a relation to a missing collection is rejected', async () => {
    const f = await failure(su.collections.create({ name: 'c6', fields: [{ name: 'r', type: 'relation', collectionId: 'nope_nope' }] }))
    expect(f.status).toBe(400)
    expect(f.body.data?.fields?.[1]?.collectionId?.code).toBeTruthy()
  })
})

describe('access', () => {
  it.each([
    ['list', (pb: PocketBase) => pb.collections.getList()],
    ['view', (pb: PocketBase) => pb.collections.getOne('users')],
    ['create', (pb: PocketBase) => pb.collections.create({ name: 'sneaky' })],
    ['update', (pb: PocketBase) => pb.collections.update('users', { listRule: '' })],
    ['delete', (pb: PocketBase) => pb.collections.delete('users')],
    ['truncate', (pb: PocketBase) => pb.collections.truncate('users')],
  ])('%s: guest → 401, regular user → 403', async (_action, call) => {
    expect((await failure(call(s.client()))).status).toBe(401)
    const { pb } = await signUp(s)
    expect((await failure(call(pb))).status).toBe(403)
    const users = await su.collections.getOne('users')
    expect(users.listRule).toBe('id = @request.auth.id')
    expect((await failure(su.collections.getOne('sneaky'))).status).toBe(404)
  })
})

describe('schema changes keep data', () => {
  it('add, rename and remove fields, rename the collection, then read records back', async () => {
    const c = await su.collections.create({ name: 'notes', fields: [{ name: 'title', type: 'text' }, { name: 'count', type: 'number' }] })
    const a = await su.collection('notes').create({ title: 'first', count: 1 })
    const b = await su.collection('notes').create({ title: 'second', count: 2 })

    // add a field: old rows get its zero value
    let fields = [...c.fields, { name: 'done', type: 'bool' }]
    let upd = await su.collections.update('notes', { fields })
    expect((await su.collection('notes').getOne(a.id))).toMatchObject({ title: 'first', count: 1, done: false })

    // rename title → headline (same field id)
    fields = upd.fields.map((f: any) => (f.name === 'title' ? { ...f, name: 'headline' } : f))
    upd = await su.collections.update('notes', { fields })
    const renamed = await su.collection('notes').getOne(b.id)
    expect(renamed).toMatchObject({ headline: 'second', count: 2 })
    expect(renamed).not.toHaveProperty('title')

    // remove count
    upd = await su.collections.update('notes', { fields: upd.fields.filter((f: any) => f.name !== 'count') })
    const removed = await su.collection('notes').getOne(a.id)
    expect(removed).not.toHaveProperty('count')
    expect(removed).toMatchObject({ headline: 'first', done: false })

    // rename the collection: same id, old name gone
    const moved = await su.collections.update('notes', { name: 'memos' })
    expect(moved.id).toBe(c.id)
    expect((await failure(su.collection('notes').getList())).status).toBe(404)
    const list = await su.collection('memos').getFullList({ sort: 'headline' })
    expect(list.map((r) => [r.id, r.headline, r.collectionName])).toEqual([[a.id, 'first', 'memos'], [b.id, 'second', 'memos']])
  })
})

describe('system collections', () => {
  it('_superusers: fixed id, system, locked rules, cannot be deleted or renamed', async () => {
    const c = await su.collections.getOne('_superusers')
    expect(c).toMatchObject({ id: 'pbc_3142635823', name: '_superusers', type: 'auth', system: true })
    for (const r of ['listRule', 'viewRule', 'createRule', 'updateRule', 'deleteRule']) expect(c[r]).toBeNull()
    expect((await failure(su.collections.delete('_superusers'))).status).toBe(400)
    expect((await failure(su.collections.update('_superusers', { name: 'admins' }))).status).toBe(400)
    expect((await su.collections.getOne('pbc_3142635823')).name).toBe('_superusers')
  })

  it('users: id _pb_users_auth_ with the default rules and fields', async () => {
    const c = await su.collections.getOne('users')
    expect(c).toMatchObject({
      id: '_pb_users_auth_', type: 'auth', createRule: '',
      listRule: 'id = @request.auth.id', viewRule: 'id = @request.auth.id',
      updateRule: 'id = @request.auth.id', deleteRule: 'id = @request.auth.id',
    })
    const names = c.fields.map((f: any) => f.name)
    for (const n of ['name', 'avatar', 'created', 'updated']) expect(names).toContain(n)
  })
})
