// RealtimeHub.dispatch: topic matching, authorizer use and memoization, per-client ordering, auth invalidation.
import { describe, expect, it, vi } from 'vitest'
import { RealtimeHub } from './hub.ts'
import { change, fakeTransport, userAuth, usersCollection } from './test-support.ts'
import type { Authorizer, ChangeEvent, Topic } from './types.ts'

const IP = '10.0.0.1'
const allow: Authorizer = async (_auth, _topic, e) => ({ id: e.record.id, title: e.record.title })

function setup(authorize: Authorizer = allow) {
  const hub = new RealtimeHub({ authorize, onError: () => {} })
  const join = (topics: string[], auth = null as ReturnType<typeof userAuth> | null) => {
    const t = fakeTransport()
    const c = hub.connect(t, IP)
    hub.setSubscriptions(c.id, topics, auth, IP)
    return { t, c }
  }
  return { hub, join }
}

describe('RealtimeHub.dispatch matching', () => {
  it('sends {action, record} to matching topics only, per-record vs *', async () => {
    const { hub, join } = setup()
    const all = join(['posts/*'])
    const bare = join(['posts'])
    const one = join(['posts/r1'])
    const other = join(['posts/r2'])
    const tags = join(['tags/*'])
    await hub.dispatch(change('create', { id: 'r1', title: 'hello' }))
    const expected = [{ action: 'create', record: { id: 'r1', title: 'hello' } }]
    expect(all.t.events('posts/*')).toEqual(expected)
    expect(bare.t.events('posts')).toEqual(expected)
    expect(one.t.events('posts/r1')).toEqual(expected)
    expect(other.t.events()).toEqual([])
    expect(tags.t.events()).toEqual([])
  })

  it('matches topics written with the collection id as well as the name', async () => {
    const { hub, join } = setup()
    const { t } = join(['pbc_posts/*', 'posts/r1'])
    await hub.dispatch(change('update', { id: 'r1' }))
    expect(t.sent.slice(1).map((s) => s.name)).toEqual(['pbc_posts/*', 'posts/r1'])
  })

  it('names each event exactly as the subscribed string, including ?options=', async () => {
    const { hub, join } = setup()
    const raw = `posts/*?options=${encodeURIComponent(JSON.stringify({ query: { filter: 'status="active"', expand: 'author' } }))}`
    const { t } = join([raw])
    await hub.dispatch(change('create', { id: 'r1' }))
    expect(t.sent[1].name).toBe(raw)
    expect(JSON.parse(t.sent[1].data)).toEqual({ action: 'create', record: { id: 'r1' } })
  })

  it('passes auth, parsed topic and event to the authorizer; null sends nothing', async () => {
    const calls: [unknown, Topic, ChangeEvent][] = []
    const { hub, join } = setup(async (auth, topic, e) => {
      calls.push([auth, topic, e])
      return auth ? e.record : null
    })
    const guest = join(['posts/*?options=%7B%22query%22%3A%7B%22fields%22%3A%22id%22%7D%7D'])
    const user = join(['posts/*'], userAuth('u1'))
    const ev = change('delete', { id: 'r1' })
    await hub.dispatch(ev)
    expect(guest.t.events()).toEqual([])
    expect(user.t.events()).toEqual([{ action: 'delete', record: { id: 'r1' } }])
    const guestCall = calls.find(([a]) => a === null)!
    expect(guestCall[1].options.query).toEqual({ fields: 'id' })
    expect(guestCall[2]).toBe(ev)
  })

  it('treats a throwing authorizer as "send nothing" and reports it', async () => {
    const onError = vi.fn()
    const hub = new RealtimeHub({ authorize: async () => Promise.reject(new Error('rule broke')), onError })
    const t = fakeTransport()
    const c = hub.connect(t, IP)
    hub.setSubscriptions(c.id, ['posts/*'], null, IP)
    await expect(hub.dispatch(change('create', { id: 'r1' }))).resolves.toBeUndefined()
    expect(t.events()).toEqual([])
    expect(onError).toHaveBeenCalledWith(expect.any(Error), { clientId: c.id, topic: 'posts/*' })
  })

  it('does nothing when nobody subscribed', async () => {
    const authorize = vi.fn(allow)
    const { hub } = setup(authorize)
    await hub.dispatch(change('create', { id: 'r1' }))
    expect(authorize).not.toHaveBeenCalled()
  })
})

describe('RealtimeHub.dispatch performance', () => {
  it('calls the authorizer once for 100 guests on the same topic, once per distinct auth', async () => {
    const authorize = vi.fn(allow)
    const { hub, join } = setup(authorize)
    const guests = Array.from({ length: 100 }, () => join(['posts/*']))
    join(['posts/*'], userAuth('u1'))
    join(['posts/*'], userAuth('u1'))
    join(['posts/*'], userAuth('u2'))
    join(['posts/*?options=%7B%7D'])
    await hub.dispatch(change('create', { id: 'r1' }))
    expect(authorize).toHaveBeenCalledTimes(4) // guest posts/*, u1, u2, guest with other raw topic
    expect(guests.every((g) => g.t.events().length === 1)).toBe(true)
  })

  it('runs authorizations for different auths concurrently, not one await after another', async () => {
    let running = 0
    let peak = 0
    const { hub, join } = setup(async (_a, _t, e) => {
      running++
      peak = Math.max(peak, running)
      await new Promise((r) => setTimeout(r, 5))
      running--
      return e.record
    })
    for (let i = 0; i < 50; i++) join(['posts/*'], userAuth(`u${i}`))
    await hub.dispatch(change('create', { id: 'r1' }))
    expect(peak).toBe(50)
  })

  it('serves 2,000 subscribers on one node quickly', async () => {
    const { hub, join } = setup()
    const clients = Array.from({ length: 2000 }, (_, i) => join(['posts/*'], i % 2 ? userAuth(`u${i % 20}`) : null))
    const start = performance.now()
    for (let i = 0; i < 10; i++) await hub.dispatch(change('create', { id: `r${i}` }))
    expect(performance.now() - start).toBeLessThan(1000)
    expect(clients.every((c) => c.t.events().length === 10)).toBe(true)
  })
})

describe('RealtimeHub.dispatch ordering', () => {
  it('never delivers a later event before an earlier one to the same client, under concurrent dispatches', async () => {
    // The create's authorization is slowest, the delete's fastest: completion order is reversed.
    const delays: Record<string, number> = { create: 30, update: 10, delete: 0 }
    const { hub, join } = setup(async (_a, _t, e) => {
      await new Promise((r) => setTimeout(r, delays[e.action]))
      return { id: e.record.id }
    })
    const a = join(['posts/*'])
    const b = join(['posts/r1'], userAuth('u1'))
    await Promise.all([
      hub.dispatch(change('create', { id: 'r1' })),
      hub.dispatch(change('update', { id: 'r1' })),
      hub.dispatch(change('delete', { id: 'r1' })),
    ])
    for (const { t } of [a, b]) expect(t.events().map((e) => e.action)).toEqual(['create', 'update', 'delete'])
  })
})

describe('RealtimeHub auth invalidation', () => {
  const seenBy = (): Authorizer => async (auth, _t, e) => ({ id: e.record.id, as: auth ? auth.record.id : 'guest' })
  const users = { id: usersCollection.id, name: usersCollection.name }

  it('reverts a client to guest when its auth record tokenKey changes, before authorizing that event', async () => {
    const { hub, join } = setup(seenBy())
    const { t, c } = join(['posts/*', 'users/u1'], userAuth('u1', 'old'))
    await hub.dispatch(change('update', { id: 'u1', tokenKey: 'new' }, users))
    await hub.dispatch(change('create', { id: 'p1' }))
    expect(c.auth).toBeNull()
    expect(t.events().map((e) => e.record.as)).toEqual(['guest', 'guest'])
    // guest again, so the same connection may bind a (new) token later
    hub.setSubscriptions(c.id, ['posts/*'], userAuth('u1', 'new'), IP)
    expect(c.auth?.record.id).toBe('u1')
  })

  it('keeps auth and refreshes the bound record when an update leaves tokenKey unchanged', async () => {
    const calls: unknown[] = []
    const { hub, join } = setup(async (auth, _t, e) => (calls.push(auth?.record.role), e.record))
    const { c } = join(['posts/*'], userAuth('u1', 'same'))
    await hub.dispatch(change('update', { id: 'u1', tokenKey: 'same', role: 'admin' }, users))
    await hub.dispatch(change('create', { id: 'p1' }))
    expect(c.auth?.record.role).toBe('admin')
    expect(calls).toEqual(['admin'])
  })

  it('reverts to guest when the auth record is deleted; other clients are untouched', async () => {
    const { hub, join } = setup(seenBy())
    const gone = join(['posts/*'], userAuth('u1'))
    const stays = join(['posts/*'], userAuth('u2'))
    const sameIdOtherCollection = join(['posts/*'], userAuth('u1', 'tk', { id: 'pbc_admins', name: 'admins', type: 'auth' } as never))
    await hub.dispatch(change('delete', { id: 'u1' }, users))
    await hub.dispatch(change('create', { id: 'p1' }))
    expect(gone.t.events().at(-1)?.record.as).toBe('guest')
    expect(stays.t.events().at(-1)?.record.as).toBe('u2')
    expect(sameIdOtherCollection.t.events().at(-1)?.record.as).toBe('u1')
  })

  it('invalidateAuth reverts every client of a collection (token secret rotated)', async () => {
    const { hub, join } = setup(seenBy())
    const a = join(['posts/*'], userAuth('u1'))
    const b = join(['posts/*'], userAuth('u2'))
    hub.invalidateAuth(usersCollection.id)
    expect([a.c.auth, b.c.auth]).toEqual([null, null])
  })
})
