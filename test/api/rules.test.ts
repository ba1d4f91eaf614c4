// API rules per role and action: filtered lists, 404/400/403 outcomes, @request.*, @collection joins.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type PocketBase from 'pocketbase'
import { startServer, type TestServer } from '../support/server.ts'
import { failure, signUp } from './helpers.ts'

let s: TestServer
let su: PocketBase
let guest: PocketBase
let A: PocketBase, B: PocketBase
let aId: string, bId: string
const rec: Record<string, string> = {}

type Role = 'guest' | 'A' | 'B' | 'su'
const as = (role: Role) => ({ guest, A, B, su })[role]

beforeAll(async () => {
  s = await startServer()
  su = await s.superuser()
  guest = s.client()
  ;({ pb: A, record: { id: aId } } = await signUp(s))
  ;({ pb: B, record: { id: bId } } = await signUp(s))
  const readable = 'public = true || owner = @request.auth.id'
  await su.collections.create({
    name: 'notes',
    fields: [{ name: 'title', type: 'text' }, { name: 'public', type: 'bool' }, { name: 'owner', type: 'relation', collectionId: '_pb_users_auth_', maxSelect: 1 }],
    listRule: readable, viewRule: readable,
    createRule: '@request.auth.id != "" && @request.body.owner = @request.auth.id',
    updateRule: 'owner = @request.auth.id', deleteRule: 'owner = @request.auth.id',
  })
  await su.collections.create({ name: 'vault', fields: [{ name: 'title', type: 'text' }] })
  await su.collections.create({ name: 'open', fields: [{ name: 'title', type: 'text' }], listRule: '', viewRule: '', createRule: '', updateRule: '', deleteRule: '' })
  rec.aPriv = (await su.collection('notes').create({ title: 'aPriv', owner: aId })).id
  rec.aPub = (await su.collection('notes').create({ title: 'aPub', owner: aId, public: true })).id
  rec.bPriv = (await su.collection('notes').create({ title: 'bPriv', owner: bId })).id
  rec.vault = (await su.collection('vault').create({ title: 'gold' })).id
})
afterAll(async () => { await s?.close() })

describe('list filters silently', () => {
  it.each<[Role, string[]]>([
    ['guest', ['aPub']],
    ['A', ['aPriv', 'aPub']],
    ['B', ['aPub', 'bPriv']],
    ['su', ['aPriv', 'aPub', 'bPriv']],
  ])('%s sees %j', async (role, expected) => {
    const res = await as(role).collection('notes').getList(1, 50, { sort: 'title' })
    expect(res.items.map((r) => r.title)).toEqual(expected)
    expect(res.totalItems).toBe(expected.length)
  })
})

describe('view', () => {
  it.each<[Role, string, number]>([
    ['guest', 'aPub', 200], ['guest', 'aPriv', 404],
    ['A', 'aPriv', 200], ['A', 'bPriv', 404],
    ['B', 'aPub', 200], ['B', 'aPriv', 404],
    ['su', 'aPriv', 200], ['su', 'bPriv', 200],
  ])('%s views %s → %i', async (role, key, status) => {
    const res = await as(role).collection('notes').getOne(rec[key]).then(() => 200, (e) => e.status)
    expect(res).toBe(status)
  })

  it('a forbidden record and a missing one are indistinguishable', async () => {
    const forbidden = await failure(B.collection('notes').getOne(rec.aPriv))
    const missing = await failure(B.collection('notes').getOne('zzzzzzzzzzzzzzz'))
    expect(forbidden).toEqual(missing)
  })
})

describe('update / delete', () => {
  it.each<[Role, number]>([['guest', 404], ['B', 404], ['A', 200], ['su', 200]])('%s updates A\'s public note → %i', async (role, status) => {
    const res = await as(role).collection('notes').update(rec.aPub, { title: `aPub` }).then(() => 200, (e) => e.status)
    expect(res).toBe(status)
  })

  it('a rejected update changes nothing', async () => {
    expect((await failure(B.collection('notes').update(rec.aPriv, { title: 'hacked' }))).status).toBe(404)
    expect((await su.collection('notes').getOne(rec.aPriv)).title).toBe('aPriv')
  })

  it.each<[Role, number]>([['guest', 404], ['B', 404], ['A', 204], ['su', 204]])('%s deletes a note of A → %i', async (role, status) => {
    const id = (await su.collection('notes').create({ title: 'tmp', owner: aId, public: true })).id
    const res = await as(role).collection('notes').delete(id).then(() => 204, (e) => e.status)
    expect(res).toBe(status)
    const exists = await su.collection('notes').getOne(id).then(() => true, () => false)
    expect(exists).toBe(status !== 204)
  })
})

describe('create', () => {
  it.each<[Role, 'self' | 'other', number]>([
    ['guest', 'other', 400], ['A', 'self', 200], ['A', 'other', 400], ['B', 'self', 200], ['su', 'other', 200],
  ])('%s creating with owner=%s → %i', async (role, whose, status) => {
    const owner = whose === 'self' ? (role === 'A' ? aId : bId) : (role === 'B' ? aId : bId)
    const res = await as(role).collection('notes').create({ title: 'new', owner }).then(() => 200, (e) => e)
    if (status === 200) expect(res).toBe(200)
    else expect(res).toMatchObject({ status: 400, response: { status: 400, message: 'Failed to create record.', data: {} } })
  })

  it('the create rule sees the would-be record, including relation traversal', async () => {
    const boards = await su.collections.create({ name: 'boards', fields: [{ name: 'open', type: 'bool' }] })
    await su.collections.create({
      name: 'capped',
      fields: [{ name: 'n', type: 'number' }, { name: 'board', type: 'relation', collectionId: boards.id, maxSelect: 1 }],
      createRule: 'n < 10 && board.open = true', listRule: '',
    })
    const open = await su.collection('boards').create({ open: true })
    const closed = await su.collection('boards').create({ open: false })
    expect((await guest.collection('capped').create({ n: 5, board: open.id })).n).toBe(5)
    expect((await failure(guest.collection('capped').create({ n: 20, board: open.id }))).status).toBe(400)
    expect((await failure(guest.collection('capped').create({ n: 5, board: closed.id }))).status).toBe(400)
    expect((await guest.collection('capped').getList()).items.map((r) => r.n)).toEqual([5])
  })
})

describe('locked (null) and public ("") rules', () => {
  const actions = {
    list: (pb: PocketBase, c: string, id: string) => pb.collection(c).getList(),
    view: (pb: PocketBase, c: string, id: string) => pb.collection(c).getOne(id),
    create: (pb: PocketBase, c: string) => pb.collection(c).create({ title: 'x' }),
    update: (pb: PocketBase, c: string, id: string) => pb.collection(c).update(id, { title: 'y' }),
  }
  it.each(Object.keys(actions) as (keyof typeof actions)[])('locked %s → 403 for guests and users, allowed for superusers', async (action) => {
    for (const pb of [guest, A]) {
      const f = await failure(actions[action](pb, 'vault', rec.vault))
      expect(f.status).toBe(403)
      expect(f.body).toMatchObject({ status: 403, data: {} })
    }
    await actions[action](su, 'vault', rec.vault)
  })

  it('locked delete → 403, record kept', async () => {
    expect((await failure(A.collection('vault').delete(rec.vault))).status).toBe(403)
    expect((await su.collection('vault').getOne(rec.vault)).id).toBe(rec.vault)
  })

  it('public rules let a guest do everything', async () => {
    const r = await guest.collection('open').create({ title: 'a' })
    expect((await guest.collection('open').getOne(r.id)).title).toBe('a')
    expect((await guest.collection('open').update(r.id, { title: 'b' })).title).toBe('b')
    expect((await guest.collection('open').getList()).items.map((x) => x.title)).toContain('b')
    await guest.collection('open').delete(r.id)
    expect((await failure(guest.collection('open').getOne(r.id))).status).toBe(404)
  })
})

describe('@request.* in rules', () => {
  beforeAll(async () => {
    await su.collections.create({
      name: 'tickets',
      fields: [{ name: 'title', type: 'text' }, { name: 'status', type: 'select', values: ['open', 'closed'], maxSelect: 1 }, { name: 'owner', type: 'relation', collectionId: '_pb_users_auth_', maxSelect: 1 }],
      viewRule: 'owner = @request.auth.id',
      updateRule: 'owner = @request.auth.id && @request.body.status:isset = false',
      createRule: '@request.auth.collectionName = "users" && @request.auth.verified = true && @request.body.status = "open"',
    })
  })

  it('@request.body in an update rule: a forbidden key makes it fail with 404', async () => {
    const t = await su.collection('tickets').create({ title: 't', status: 'open', owner: aId })
    expect((await A.collection('tickets').update(t.id, { title: 't2' })).title).toBe('t2')
    expect((await failure(A.collection('tickets').update(t.id, { status: 'closed' }))).status).toBe(404)
    expect((await su.collection('tickets').getOne(t.id)).status).toBe('open')
  })

  it('@request.auth fields and @request.body in a create rule', async () => {
    expect((await failure(A.collection('tickets').create({ title: 'x', status: 'open', owner: aId }))).status).toBe(400)
    await su.collection('users').update(aId, { verified: true })
    expect((await failure(A.collection('tickets').create({ title: 'x', status: 'closed', owner: aId }))).status).toBe(400)
    const t = await A.collection('tickets').create({ title: 'x', status: 'open', owner: aId })
    expect(t.status).toBe('open')
    expect((await failure(guest.collection('tickets').create({ title: 'x', status: 'open' }))).status).toBe(400)
  })
})

describe('@collection joins', () => {
  beforeAll(async () => {
    await su.collections.create({ name: 'memberships', fields: [{ name: 'user', type: 'relation', collectionId: '_pb_users_auth_', maxSelect: 1 }, { name: 'team', type: 'text' }] })
    const rule = '@collection.memberships.user ?= @request.auth.id && @collection.memberships.team ?= team'
    await su.collections.create({ name: 'docs', fields: [{ name: 'title', type: 'text' }, { name: 'team', type: 'text' }], listRule: rule, viewRule: rule })
    await su.collection('memberships').create({ user: aId, team: 'red' })
    await su.collection('memberships').create({ user: bId, team: 'blue' })
    for (const [title, team] of [['r1', 'red'], ['r2', 'red'], ['b1', 'blue'], ['g1', 'green']]) await su.collection('docs').create({ title, team })
  })

  it.each<[Role, string[]]>([['A', ['r1', 'r2']], ['B', ['b1']], ['guest', []], ['su', ['b1', 'g1', 'r1', 'r2']]])('%s lists %j', async (role, expected) => {
    expect((await as(role).collection('docs').getFullList({ sort: 'title' })).map((d) => d.title)).toEqual(expected)
  })

  it('the joined collection itself stays locked', async () => {
    expect((await failure(A.collection('memberships').getList())).status).toBe(403)
  })
})

describe('client filters from non-superusers', () => {
  it.each<[string, { filter?: string; sort?: string }]>([
    ['filter', { filter: '@request.auth.id != ""' }],
    ['filter', { filter: '@collection.notes.title ?= "aPriv"' }],
    ['filter (inside quotes)', { filter: 'title = "@request.x"' }],
    ['sort', { sort: '@request.auth.id' }],
  ])('%s %j → 403 for guests and users, allowed for superusers', async (_what, opts) => {
    for (const pb of [guest, A]) expect((await failure(pb.collection('notes').getList(1, 10, opts))).status).toBe(403)
    if (opts.filter) await su.collection('notes').getList(1, 10, opts)
  })

  it('a client filter cannot widen what the list rule allows', async () => {
    const res = await B.collection('notes').getFullList({ filter: 'owner != "" || public = false', sort: 'title,id' })
    const titles = res.map((r) => r.title)
    expect(titles).toContain('bPriv')
    expect(titles).not.toContain('aPriv')
    expect(res).toEqual(await B.collection('notes').getFullList({ sort: 'title,id' }))
  })
})

describe('hidden fields', () => {
  beforeAll(async () => {
    await su.collections.create({
      name: 'cards', listRule: '', viewRule: '', createRule: '', updateRule: '',
      fields: [{ name: 'title', type: 'text' }, { name: 'pin', type: 'text', hidden: true }],
    })
    await su.collection('cards').create({ title: 'c1', pin: '1234' })
  })

  it('are omitted for non-superusers and shown to superusers', async () => {
    for (const pb of [guest, A]) expect((await pb.collection('cards').getFirstListItem('title = "c1"'))).not.toHaveProperty('pin')
    expect((await su.collection('cards').getFirstListItem('title = "c1"')).pin).toBe('1234')
  })

  it('cannot be filtered or sorted on by non-superusers (400), but can by superusers', async () => {
    for (const opts of [{ filter: 'pin = "1234"' }, { filter: 'pin ~ "1"' }, { sort: 'pin' }]) {
      const f = await failure(A.collection('cards').getList(1, 10, opts))
      expect(f.status).toBe(400)
      expect(f.body.data).toEqual({})
    }
    expect((await su.collection('cards').getList(1, 10, { filter: 'pin = "1234"' })).totalItems).toBe(1)
  })

  it('are ignored in non-superuser writes', async () => {
    const c = await guest.collection('cards').create({ title: 'c2', pin: '9999' })
    expect((await su.collection('cards').getOne(c.id)).pin).toBe('')
    await guest.collection('cards').update(c.id, { pin: '8888', title: 'c2b' })
    expect(await su.collection('cards').getOne(c.id)).toMatchObject({ title: 'c2b', pin: '' })
  })
})
