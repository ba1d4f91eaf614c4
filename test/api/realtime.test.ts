// Realtime over SSE through the SDK: events, topics, per-subscriber rules, options, unsubscribe, revocation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type PocketBase from 'pocketbase'
import type { RecordSubscription } from 'pocketbase'
import { startServer, waitFor, type TestServer } from '../support/server.ts'
import { signUp } from './helpers.ts'

let s: TestServer
let su: PocketBase
let aId: string, bId: string
let A: PocketBase, B: PocketBase
const clients: PocketBase[] = []

function track(pb: PocketBase) { clients.push(pb); return pb }

/** Subscribes and records every event delivered to this subscription. */
async function collect(pb: PocketBase, collection: string, topic: string, opts?: Record<string, unknown>) {
  const events: RecordSubscription[] = []
  const unsub = await pb.collection(collection).subscribe(topic, (e) => { events.push(e) }, opts)
  return { events, unsub }
}

const titles = (events: RecordSubscription[]) => events.map((e) => `${e.action}:${e.record.title}`)

beforeAll(async () => {
  s = await startServer()
  su = track(await s.superuser())
  ;({ pb: A, record: { id: aId } } = await signUp(s))
  ;({ pb: B, record: { id: bId } } = await signUp(s))
  track(A); track(B)
  const readable = 'public = true || owner = @request.auth.id'
  await su.collections.create({
    name: 'posts', listRule: readable, viewRule: readable,
    fields: [{ name: 'title', type: 'text' }, { name: 'public', type: 'bool' }, { name: 'owner', type: 'relation', collectionId: '_pb_users_auth_', maxSelect: 1 }],
  })
  await su.collections.create({ name: 'pings', listRule: '', viewRule: '', fields: [{ name: 'n', type: 'number' }] })
})
afterAll(async () => {
  for (const pb of clients) await pb.realtime.unsubscribe().catch(() => {})
  await s?.close()
})

describe('events', () => {
  it('a * subscription receives create, update and delete with {action, record}', async () => {
    const guest = track(s.client())
    const { events, unsub } = await collect(guest, 'posts', '*')
    const p = await su.collection('posts').create({ title: 'one', public: true })
    await su.collection('posts').update(p.id, { title: 'two' })
    await su.collection('posts').delete(p.id)
    await waitFor(() => events.length >= 3, 5000, 'three events')
    expect(titles(events)).toEqual(['create:one', 'update:two', 'delete:two'])
    expect(events[0].record).toMatchObject({ id: p.id, collectionName: 'posts', collectionId: p.collectionId, public: true })
    expect(events[0].record).not.toHaveProperty('expand')
    await unsub()
  })

  it('a per-record topic only receives that record', async () => {
    const guest = track(s.client())
    const target = await su.collection('posts').create({ title: 'target', public: true })
    const other = await su.collection('posts').create({ title: 'other', public: true })
    const { events, unsub } = await collect(guest, 'posts', target.id)
    await su.collection('posts').update(other.id, { title: 'other2' })
    await su.collection('posts').update(target.id, { title: 'target2' })
    await waitFor(() => events.length >= 1, 5000, 'target update')
    await su.collection('posts').delete(target.id)
    await waitFor(() => events.length >= 2, 5000, 'target delete')
    expect(titles(events)).toEqual(['update:target2', 'delete:target2'])
    await unsub()
  })
})

describe('per-subscriber rules', () => {
  it('private records reach the owner and superusers only', async () => {
    const guest = track(s.client())
    const g = await collect(guest, 'posts', '*')
    const b = await collect(B, 'posts', '*')
    const a = await collect(A, 'posts', '*')
    const root = await collect(su, 'posts', '*')
    await su.collection('posts').create({ title: 'secret', owner: aId })
    await su.collection('posts').create({ title: 'marker', public: true })
    for (const sub of [g, b, a, root]) await waitFor(() => sub.events.some((e) => e.record.title === 'marker'), 5000, 'marker')
    expect(titles(g.events)).toEqual(['create:marker'])
    expect(titles(b.events)).toEqual(['create:marker'])
    expect(titles(a.events)).toEqual(['create:secret', 'create:marker'])
    expect(titles(root.events)).toEqual(['create:secret', 'create:marker'])
    for (const sub of [g, b, a, root]) await sub.unsub()
  })

  it('a per-record topic follows the viewRule, e.g. when a post becomes private', async () => {
    const p = await su.collection('posts').create({ title: 'flip', public: true, owner: aId })
    const b = await collect(B, 'posts', p.id)
    const marker = await collect(B, 'pings', '*')
    await su.collection('posts').update(p.id, { title: 'flip-private', public: false })
    await su.collection('pings').create({ n: 1 })
    await waitFor(() => marker.events.length === 1, 5000, 'ping')
    expect(b.events).toEqual([])
    await b.unsub(); await marker.unsub()
  })
})

describe('locked collections and hidden fields', () => {
  it('a null listRule delivers to superusers only; hidden fields only to superusers', async () => {
    await su.collections.create({ name: 'locked', fields: [{ name: 'title', type: 'text' }, { name: 'pin', type: 'text', hidden: true }] })
    await su.collections.update('pings', { fields: [{ name: 'n', type: 'number' }, { name: 'pin', type: 'text', hidden: true }] })
    const a = await collect(A, 'locked', '*')
    const aPings = await collect(A, 'pings', '*')
    const root = await collect(su, 'locked', '*')
    await su.collection('locked').create({ title: 'classified', pin: '1' })
    await su.collection('pings').create({ n: 9, pin: '2' })
    await waitFor(() => aPings.events.length === 1 && root.events.length === 1, 5000, 'events')
    expect(a.events).toEqual([])
    expect(root.events[0].record).toMatchObject({ title: 'classified', pin: '1' })
    expect(aPings.events[0].record).not.toHaveProperty('pin')
    for (const sub of [a, aPings, root]) await sub.unsub()
  })

  it('topics may name the collection by id', async () => {
    const posts = await su.collections.getOne('posts')
    const guest = track(s.client())
    const sub = await collect(guest, posts.id, '*')
    await su.collection('posts').create({ title: 'by-id', public: true })
    await waitFor(() => sub.events.length === 1, 5000, 'event')
    expect(sub.events[0].record).toMatchObject({ title: 'by-id', collectionName: 'posts' })
    await sub.unsub()
  })
})

describe('subscription options', () => {
  it('filter narrows the events', async () => {
    const guest = track(s.client())
    const hot = await collect(guest, 'posts', '*', { filter: 'title ~ "hot"' })
    const all = await collect(guest, 'posts', '*')
    await su.collection('posts').create({ title: 'cold', public: true })
    await su.collection('posts').create({ title: 'hot stuff', public: true })
    await waitFor(() => all.events.length >= 2 && hot.events.length >= 1, 5000, 'events')
    expect(titles(hot.events)).toEqual(['create:hot stuff'])
    await hot.unsub(); await all.unsub()
  })

  it('expand and fields apply to the event record', async () => {
    const withExpand = await collect(A, 'posts', '*', { expand: 'owner' })
    const narrow = await collect(A, 'posts', '*', { fields: 'id,title' })
    const p = await su.collection('posts').create({ title: 'mine', owner: aId })
    await waitFor(() => withExpand.events.length >= 1 && narrow.events.length >= 1, 5000, 'events')
    expect(withExpand.events[0].record.expand?.owner).toMatchObject({ id: aId, collectionName: 'users' })
    expect(narrow.events[0].record).toEqual({ id: p.id, title: 'mine' })
    await withExpand.unsub(); await narrow.unsub()
  })

  it('a filter with @request. from a non-superuser receives nothing', async () => {
    const sneaky = await collect(A, 'posts', '*', { filter: '@request.auth.id != ""' })
    const marker = await collect(A, 'pings', '*')
    await su.collection('posts').create({ title: 'pub', public: true })
    await su.collection('pings').create({ n: 2 })
    await waitFor(() => marker.events.length === 1, 5000, 'ping')
    expect(sneaky.events).toEqual([])
    await sneaky.unsub(); await marker.unsub()
  })
})

describe('users events', () => {
  it('omit email (unless visible), password and tokenKey for others', async () => {
    await su.collections.update('users', { listRule: '@request.auth.id != ""' })
    const a = await collect(A, 'users', '*')
    const root = await collect(su, 'users', '*')
    await B.collection('users').update(bId, { name: 'Bee' })
    await waitFor(() => a.events.length >= 1 && root.events.length >= 1, 5000, 'user events')
    const seen = a.events[0].record
    expect(seen).toMatchObject({ id: bId, name: 'Bee' })
    for (const k of ['email', 'password', 'tokenKey']) expect(seen).not.toHaveProperty(k)
    expect(root.events[0].record.email).toEqual(expect.stringContaining('@'))
    for (const k of ['password', 'tokenKey']) expect(root.events[0].record).not.toHaveProperty(k)
    await a.unsub(); await root.unsub()
    await su.collections.update('users', { listRule: 'id = @request.auth.id' })
  })
})

describe('unsubscribe and revocation', () => {
  it('unsubscribe stops delivery while other topics keep working', async () => {
    const guest = track(s.client())
    const posts = await collect(guest, 'posts', '*')
    const pings = await collect(guest, 'pings', '*')
    await posts.unsub()
    await su.collection('posts').create({ title: 'after-unsub', public: true })
    await su.collection('pings').create({ n: 3 })
    await waitFor(() => pings.events.length === 1, 5000, 'ping')
    expect(posts.events).toEqual([])
    await pings.unsub()
  })

  it('a user whose password changed stops receiving private events', async () => {
    const { pb: C, record: { id: cId } } = await signUp(s)
    track(C)
    const c = await collect(C, 'posts', '*')
    await su.collection('posts').create({ title: 'before', owner: cId })
    await waitFor(() => c.events.length === 1, 5000, 'private event')
    await su.collection('users').update(cId, { password: 'changed-pass-1', passwordConfirm: 'changed-pass-1' })
    await su.collection('posts').create({ title: 'after', owner: cId })
    await su.collection('posts').create({ title: 'public-after', public: true })
    await waitFor(() => c.events.some((e) => e.record.title === 'public-after'), 5000, 'public event')
    expect(titles(c.events)).toEqual(['create:before', 'create:public-after'])
    await c.unsub()
  })
})
