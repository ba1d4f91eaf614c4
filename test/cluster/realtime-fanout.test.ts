// Cross-node realtime: SDK subscribers connected to each of 3 nodes receive every create/update/delete
// made through any node, exactly once, in order per record — and each subscriber's own list rule
// still filters what it gets (a private post of user A reaches A's subscriber on node C, never B's).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type PocketBase from 'pocketbase'
import type { RecordSubscription } from 'pocketbase'
import { api, createCollection, sdk, signUp, startCluster, waitFor, type Cluster } from './support.ts'

let cl: Cluster
let userA: { id: string; token: string; email: string; password: string }
let userB: { id: string; token: string; email: string; password: string }
const clients: PocketBase[] = []

interface Subscriber { node: string; who: 'A' | 'B' | 'guest'; events: RecordSubscription[] }
const subscribers: Subscriber[] = []

beforeAll(async () => {
  cl = await startCluster(3)
  const [A] = cl.nodes.map((n) => n.url)
  const readable = 'public = true || owner = @request.auth.id'
  await createCollection(A, cl.token, {
    name: 'posts', listRule: readable, viewRule: readable,
    createRule: '@request.auth.id != "" && @request.body.owner = @request.auth.id', updateRule: 'owner = @request.auth.id', deleteRule: 'owner = @request.auth.id',
    fields: [{ name: 'title', type: 'text' }, { name: 'public', type: 'bool' }, { name: 'owner', type: 'relation', collectionId: '_pb_users_auth_', maxSelect: 1 }],
  })
  userA = await signUp(A, 'alice@example.com')
  userB = await signUp(A, 'bob@example.com')
  // Wait until every node knows `posts` (schema propagation is schema-sync.test.ts's business).
  for (const n of cl.nodes) {
    await waitFor(async () => (await api(n.url, 'GET', '/api/collections/posts/records', { token: userA.token })).status === 200, 5000, `posts on ${n.name}`)
  }
  // On every node: a subscriber as A, one as B and a guest, each through the SDK's realtime client.
  for (const n of cl.nodes) {
    for (const who of ['A', 'B', 'guest'] as const) {
      const pb = sdk(n.url)
      clients.push(pb)
      if (who !== 'guest') await pb.collection('users').authWithPassword((who === 'A' ? userA : userB).email, (who === 'A' ? userA : userB).password)
      const sub: Subscriber = { node: n.name, who, events: [] }
      subscribers.push(sub)
      await pb.collection('posts').subscribe('*', (e) => { sub.events.push(e) })
    }
  }
})
afterAll(async () => {
  for (const pb of clients) await pb.realtime.unsubscribe().catch(() => {})
  await cl?.close()
})

const describeSub = (s: Subscriber) => `${s.who}'s subscriber on node ${s.node}`

/** Per record id, the sequence of actions (with the title each event carried). */
function perRecord(events: RecordSubscription[]): Map<string, string[]> {
  const m = new Map<string, string[]>()
  for (const e of events) {
    const list = m.get(e.record.id) ?? []
    list.push(`${e.action}:${e.record.title}`)
    m.set(e.record.id, list)
  }
  return m
}

describe('fan-out across 3 nodes', () => {
  it('every subscriber sees each create/update/delete through any node exactly once, in order per record, filtered by its own rule', async () => {
    // Writers: A and B each write through every node, concurrently; each record goes create → update → delete
    // through the same node (a different node per record). A also writes private posts.
    const expected = { publicIds: new Set<string>(), privateIds: new Set<string>() }
    const write = async (node: string, owner: typeof userA, title: string, isPublic: boolean) => {
      const c = await api(node, 'POST', '/api/collections/posts/records', { token: owner.token, body: { title, public: isPublic, owner: owner.id } })
      expect(c.status, JSON.stringify(c.body)).toBe(200)
      ;(isPublic ? expected.publicIds : expected.privateIds).add(c.body.id)
      const u = await api(node, 'PATCH', `/api/collections/posts/records/${c.body.id}`, { token: owner.token, body: { title: `${title}!` } })
      expect(u.status, JSON.stringify(u.body)).toBe(200)
      const d = await api(node, 'DELETE', `/api/collections/posts/records/${c.body.id}`, { token: owner.token })
      expect(d.status, JSON.stringify(d.body)).toBe(204)
    }
    await Promise.all(cl.nodes.map(async (n) => {
      for (let i = 0; i < 3; i++) {
        await write(n.url, userA, `pubA-${n.name}${i}`, true)
        await write(n.url, userB, `pubB-${n.name}${i}`, true)
        await write(n.url, userA, `privA-${n.name}${i}`, false)
      }
    }))
    expect(expected.publicIds.size).toBe(6 * cl.nodes.length)
    expect(expected.privateIds.size).toBe(3 * cl.nodes.length)

    const seesAll = (s: Subscriber) => s.who === 'A'
    const want = (s: Subscriber) => (seesAll(s) ? expected.publicIds.size + expected.privateIds.size : expected.publicIds.size) * 3
    try {
      await waitFor(() => subscribers.every((s) => s.events.length >= want(s)), 10_000, 'all events at every subscriber')
    } catch (err) {
      throw new Error(`${(err as Error).message}: ${subscribers.map((s) => `${describeSub(s)} ${s.events.length}/${want(s)}`).join(', ')}\n${cl.logs()}`)
    }
    // Private events published before or with the public ones would have arrived by now; allow late duplicates to show.
    await new Promise((r) => setTimeout(r, 500))

    for (const s of subscribers) {
      const m = perRecord(s.events)
      const ids = new Set(m.keys())
      const wantIds = seesAll(s) ? new Set([...expected.publicIds, ...expected.privateIds]) : expected.publicIds
      expect([...ids].sort(), describeSub(s)).toEqual([...wantIds].sort())
      for (const [id, actions] of m) {
        const title = actions[0].slice('create:'.length)
        expect(actions, `${describeSub(s)}, record ${id}`).toEqual([`create:${title}`, `update:${title}!`, `delete:${title}!`])
      }
      // Nothing private of A ever reaches B or a guest.
      if (!seesAll(s)) expect(s.events.filter((e) => e.record.public !== true), describeSub(s)).toEqual([])
    }
  })

  it("a private post of A created through node A reaches A's subscriber on node C but not B's there", async () => {
    const [A, , C] = cl.nodes
    const onC = (who: Subscriber['who']) => subscribers.find((s) => s.node === C.name && s.who === who)!
    const before = { A: onC('A').events.length, B: onC('B').events.length, guest: onC('guest').events.length }
    const secret = await api(A.url, 'POST', '/api/collections/posts/records', { token: userA.token, body: { title: 'secret', public: false, owner: userA.id } })
    expect(secret.status).toBe(200)
    // A public marker written after it: once B's subscriber on C has the marker, the secret had its chance to arrive.
    const marker = await api(A.url, 'POST', '/api/collections/posts/records', { token: userA.token, body: { title: 'marker', public: true, owner: userA.id } })
    expect(marker.status).toBe(200)
    await waitFor(() => onC('A').events.some((e) => e.record.id === marker.body.id) && onC('B').events.some((e) => e.record.id === marker.body.id)
      && onC('guest').events.some((e) => e.record.id === marker.body.id), 5000, 'marker on node C')
    expect(onC('A').events.slice(before.A).map((e) => `${e.action}:${e.record.title}`)).toEqual(['create:secret', 'create:marker'])
    expect(onC('A').events.slice(before.A)[0].record).toMatchObject({ id: secret.body.id, owner: userA.id, public: false })
    expect(onC('B').events.slice(before.B).map((e) => `${e.action}:${e.record.title}`)).toEqual(['create:marker'])
    expect(onC('guest').events.slice(before.guest).map((e) => `${e.action}:${e.record.title}`)).toEqual(['create:marker'])
  })
})
