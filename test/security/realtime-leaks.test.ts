// SECURITY.md G1/G3/G5/G15 (+ G9): realtime events respect list/view rules and visibility; clientIds can't be hijacked.
import type PocketBase from 'pocketbase'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { waitFor } from '../support/server.ts'
import { allSecrets, dbRows, expectClientError, raw, setupWorld, type World } from './fixture.ts'

let w: World
let secrets: string[]
const clients: PocketBase[] = []
type Evt = { action: string; record: Record<string, any> }

beforeAll(async () => {
  w = await setupWorld()
  await w.su.collections.create({
    name: 'board', type: 'base', listRule: '', viewRule: '', createRule: '@request.auth.id != ""',
    fields: [{ name: 'title', type: 'text' }, { name: 'owner', type: 'relation', collectionId: '_pb_users_auth_', maxSelect: 1 }],
  })
  secrets = await allSecrets(w)
})
afterAll(async () => {
  for (const pb of clients) await pb.realtime.unsubscribe().catch(() => {})
  await w?.close()
})

/** A fresh SDK client with the given token (or guest), for realtime only. */
function clientAs(token?: string): PocketBase {
  const pb = w.s.client()
  if (token) pb.authStore.save(token, null)
  clients.push(pb)
  return pb
}

async function collect(pb: PocketBase, collection: string, topic: string, opts?: Record<string, unknown>): Promise<Evt[]> {
  const events: Evt[] = []
  await pb.collection(collection).subscribe(topic, (e) => events.push(e as Evt), opts)
  return events
}

/** Settles the fan-out: waits until `probe` saw the marker event, then a little more. */
async function settle(check: () => boolean) {
  await waitFor(check, 5000, 'control event')
  await new Promise((r) => setTimeout(r, 150))
}

describe('G1 private records never reach other subscribers', () => {
  it('B’s create/update/delete of a private post are invisible to A and to guests; A still gets her own', async () => {
    const a = clientAs(w.a.token)
    const guest = clientAs()
    const aEvents = await collect(a, 'posts', '*')
    const aRecord = await collect(clientAs(w.a.token), 'posts', w.postB1)
    const guestEvents = await collect(guest, 'posts', '*')
    const suEvents = await collect(clientAs(w.suToken), 'posts', '*')

    const bPost = await w.b.pb.collection('posts').create({ title: 'b private', owner: w.b.id })
    await w.b.pb.collection('posts').update(w.postB1, { title: 'b edited' })
    await w.b.pb.collection('posts').delete(bPost.id)
    const aPost = await w.a.pb.collection('posts').create({ title: 'a own', owner: w.a.id })

    await settle(() => aEvents.some((e) => e.record.id === aPost.id) && suEvents.some((e) => e.record.id === aPost.id))
    expect(aEvents.map((e) => e.record.id)).toEqual([aPost.id])
    expect(aRecord).toEqual([])
    expect(guestEvents).toEqual([])
    // Control: the superuser saw everything, including the hidden field.
    expect(suEvents.map((e) => e.action)).toEqual(['create', 'update', 'delete', 'create'])
    expect(suEvents[0].record).toHaveProperty('secret')
    // The owner's own event carries no hidden field.
    expect(aEvents[0].record).not.toHaveProperty('secret')
  })

  it('hostile subscription options (hidden-field filter, @collection, @request, garbage) never deliver foreign rows', async () => {
    const options: Record<string, unknown>[] = [
      { filter: "secret ~ 'zq%'" },
      { filter: "@collection.users.email ~ '%'" },
      { filter: "@request.auth.id != ''" },
      { filter: "title = 'x') OR 1=1 --" },
      { filter: '('.repeat(2000) },
      { filter: '('.repeat(5000) }, // over the 2500-char topic limit: the subscribe itself may be refused (400)
      { expand: 'owner.'.repeat(30) + 'owner', fields: '*,secret,expand.owner.tokenKey' },
    ]
    const streams: Evt[][] = []
    for (const opts of options) {
      // One connection per option: the SDK posts all topics of a client together.
      try {
        streams.push(await collect(clientAs(w.a.token), 'posts', '*', opts))
      } catch (err) {
        expect((err as { status?: number }).status, JSON.stringify(opts).slice(0, 60)).toBe(400)
      }
    }
    const control = await collect(clientAs(w.a.token), 'posts', '*')
    const bPost = await w.b.pb.collection('posts').create({ title: 'b private 2', owner: w.b.id })
    const aPost = await w.a.pb.collection('posts').create({ title: 'a own 2', owner: w.a.id })
    await settle(() => control.some((e) => e.record.id === aPost.id))
    for (const s of streams) {
      expect(s.map((e) => e.record.id)).not.toContain(bPost.id)
      for (const e of s) {
        expect(e.record).not.toHaveProperty('secret')
        expect(JSON.stringify(e)).not.toMatch(/tokenKey|password/)
      }
    }
    expect((await raw(w, 'GET', '/api/health')).status).toBe(200)
  })
})

describe('G5 expand in subscriptions follows the related viewRule', () => {
  it('A watching a public board does not get B’s user record through expand=owner', async () => {
    const a = clientAs(w.a.token)
    const events = await collect(a, 'board', '*', { expand: 'owner' })
    const bBoard = await w.b.pb.collection('board').create({ title: 'hello', owner: w.b.id })
    const aBoard = await w.a.pb.collection('board').create({ title: 'mine', owner: w.a.id })
    await settle(() => events.some((e) => e.record.id === aBoard.id))
    const fromB = events.find((e) => e.record.id === bBoard.id)!
    expect(fromB).toBeDefined()
    expect(fromB.record.expand?.owner).toBeUndefined()
    expect(JSON.stringify(fromB)).not.toContain(w.b.email)
    const fromA = events.find((e) => e.record.id === aBoard.id)!
    expect(fromA.record.expand?.owner?.id).toBe(w.a.id)
    expect(fromA.record.expand.owner).not.toHaveProperty('tokenKey')
  })
})

describe('G3 auth-record events: no email (unless visible), tokenKey or password', () => {
  it('users/* subscribers see only what a list would show', async () => {
    await w.su.collections.update('users', { listRule: '', viewRule: '' })
    const aEvents = await collect(clientAs(w.a.token), 'users', '*')
    const guestEvents = await collect(clientAs(), 'users', '*')
    const suEvents = await collect(clientAs(w.suToken), 'users', '*')
    await w.b.pb.collection('users').update(w.b.id, { name: 'bob renamed' })
    await w.b.pb.collection('users').update(w.b.id, { oldPassword: w.b.password, password: 'bob-new-password', passwordConfirm: 'bob-new-password' })
    await settle(() => suEvents.length >= 2 && aEvents.length >= 2 && guestEvents.length >= 2)
    for (const e of [...aEvents, ...guestEvents]) {
      expect(e.record.id).toBe(w.b.id)
      expect(e.record).not.toHaveProperty('email')
      expect(e.record).not.toHaveProperty('tokenKey')
      expect(e.record).not.toHaveProperty('password')
      expect(JSON.stringify(e)).not.toContain(w.b.email)
    }
    for (const e of suEvents) {
      expect(e.record.email).toBe(w.b.email)
      expect(e.record).not.toHaveProperty('tokenKey')
      expect(e.record).not.toHaveProperty('password')
    }
    const all = JSON.stringify([...aEvents, ...guestEvents, ...suEvents])
    for (const u of await dbRows<Record<string, string>>(w, 'users')) {
      expect(all).not.toContain(u.tokenKey)
      expect(all).not.toContain(u.password)
    }
  })
})

describe('G15 system collections never reach non-superusers', () => {
  it('_superusers events go only to superusers', async () => {
    const topics = ['*']
    const guestEvents = await collect(clientAs(), '_superusers', topics[0])
    const aEvents = await collect(clientAs(w.a.token), '_superusers', '*')
    const suRecordIds = (await dbRows<Record<string, string>>(w, '_superusers')).map((r) => r.id)
    const aRecord = await collect(clientAs(w.a.token), '_superusers', suRecordIds[0])
    const suEvents = await collect(clientAs(w.suToken), '_superusers', '*')
    const created = await w.su.collection('_superusers').create({ email: `root2-${Date.now()}@example.com`, password: 'rootpassword456', passwordConfirm: 'rootpassword456' })
    await w.su.collection('_superusers').update(suRecordIds[0], { emailVisibility: true })
    await settle(() => suEvents.length >= 2)
    expect(suEvents.map((e) => e.record.id)).toContain(created.id)
    expect(guestEvents).toEqual([])
    expect(aEvents).toEqual([])
    expect(aRecord).toEqual([])
  })
})

describe('G9 clientId hijacking', () => {
  async function connectedClientId(pb: PocketBase): Promise<string> {
    await waitFor(() => pb.realtime.clientId, 5000, 'clientId')
    return pb.realtime.clientId
  }
  it('another auth (or guest) cannot re-point A’s subscription; A keeps receiving', async () => {
    const a = clientAs(w.a.token)
    const events = await collect(a, 'posts', '*')
    const clientId = await connectedClientId(a)
    const asB = await raw(w, 'POST', '/api/realtime', { token: w.b.token, body: { clientId, subscriptions: ['posts/*', 'users/*'] } })
    expectClientError(asB, 403, secrets)
    const asGuest = await raw(w, 'POST', '/api/realtime', { body: { clientId, subscriptions: [] } })
    expectClientError(asGuest, 403, secrets)
    const forged = await raw(w, 'POST', '/api/realtime', { token: w.a.token.slice(0, -4) + 'AAAA', body: { clientId, subscriptions: [] } })
    expectClientError(forged, 403, secrets)
    const unknown = await raw(w, 'POST', '/api/realtime', { token: w.b.token, body: { clientId: 'x'.repeat(40), subscriptions: ['posts/*'] } })
    expectClientError(unknown, 404, secrets)
    const aPost = await w.a.pb.collection('posts').create({ title: 'still subscribed', owner: w.a.id })
    await waitFor(() => events.some((e) => e.record.id === aPost.id), 5000, 'A still subscribed')
  })
  it('hostile subscribe bodies → 4xx, never 500', async () => {
    const a = clientAs()
    await collect(a, 'posts', '*')
    const clientId = await connectedClientId(a)
    const bodies: unknown[] = [
      { clientId, subscriptions: 'posts/*' },
      { clientId, subscriptions: [{ topic: 'x' }] },
      { clientId, subscriptions: Array(1001).fill('posts/*') },
      { clientId, subscriptions: ['x'.repeat(3000)] },
      { clientId, subscriptions: ['posts/*?options=' + encodeURIComponent('{"query":' + '['.repeat(100) + '}')] },
      { clientId, subscriptions: ['posts/*?options=%ZZ'] },
      { clientId: { $ne: null }, subscriptions: [] },
      { clientId: ['a', 'b'], subscriptions: [] },
      { clientId: 'x'.repeat(300), subscriptions: [] },
      [],
    ]
    for (const body of bodies) {
      const res = await raw(w, 'POST', '/api/realtime', { body })
      expectClientError(res, [400, 404], secrets)
    }
  })
})
