// RealtimeHub client lifecycle: PB_CONNECT, POST /api/realtime errors, @oauth2 helpers, timeouts, slow consumers.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ApiError } from '../core/errors.ts'
import { RealtimeHub } from './hub.ts'
import { fakeTransport, userAuth } from './test-support.ts'
import type { Authorizer } from './types.ts'

const allow: Authorizer = async (_auth, _topic, e) => e.record
const IP = '10.0.0.1'

function thrown(fn: () => unknown): ApiError {
  try {
    fn()
  } catch (err) {
    if (err instanceof ApiError) return err
    throw err
  }
  throw new Error('expected an ApiError')
}

describe('RealtimeHub.connect', () => {
  it('sends PB_CONNECT with a fresh 40-char alphanumeric clientId', () => {
    const hub = new RealtimeHub({ authorize: allow })
    const t = fakeTransport()
    let attached = ''
    t.attach = (id) => (attached = id)
    const client = hub.connect(t, IP)
    expect(client.id).toMatch(/^[A-Za-z0-9]{40}$/)
    expect(attached).toBe(client.id)
    expect(t.sent).toEqual([{ name: 'PB_CONNECT', data: `{"clientId":"${client.id}"}` }])
    expect(hub.size).toBe(1)
    expect(hub.connect(fakeTransport(), IP).id).not.toBe(client.id)
    hub.closeAll()
  })

  it('drops a client whose PB_CONNECT cannot be written', () => {
    const hub = new RealtimeHub({ authorize: allow })
    const t = fakeTransport()
    t.full = true
    hub.connect(t, IP)
    expect(t.closed).toBe(true)
    expect(hub.size).toBe(0)
  })
})

describe('RealtimeHub.setSubscriptions', () => {
  let hub: RealtimeHub
  beforeEach(() => {
    hub = new RealtimeHub({ authorize: allow })
  })
  afterEach(() => hub.closeAll())

  it('replaces the whole subscription set', () => {
    const c = hub.connect(fakeTransport(), IP)
    hub.setSubscriptions(c.id, ['posts/*', 'posts/a'], null, IP)
    hub.setSubscriptions(c.id, ['tags/*'], null, IP)
    expect(c.topics.map((t) => t.raw)).toEqual(['tags/*'])
    hub.setSubscriptions(c.id, [], null, IP)
    expect(c.topics).toEqual([])
  })

  it('404 for an unknown client id', () => {
    const err = thrown(() => hub.setSubscriptions('x'.repeat(40), ['posts/*'], null, IP))
    expect([err.status, err.message]).toEqual([404, 'Missing or invalid client id.'])
  })

  it('400 validation before looking the client up', () => {
    const err = thrown(() => hub.setSubscriptions('', ['posts/*'], null, IP))
    expect(err.status).toBe(400)
    expect(err.data).toHaveProperty('clientId.code', 'validation_required')
    const c = hub.connect(fakeTransport(), IP)
    const tooMany = thrown(() => hub.setSubscriptions(c.id, Array.from({ length: 1001 }, () => 'posts/*'), null, IP))
    expect(tooMany.data).toHaveProperty('subscriptions.code', 'validation_length_too_long')
  })

  it('400 "Invalid realtime client." from another IP, and nothing changes', () => {
    const c = hub.connect(fakeTransport(), IP)
    hub.setSubscriptions(c.id, ['posts/*'], null, IP)
    const err = thrown(() => hub.setSubscriptions(c.id, ['secrets/*'], userAuth('u1'), '10.6.6.6'))
    expect([err.status, err.message]).toEqual([400, 'Invalid realtime client.'])
    expect(c.topics.map((t) => t.raw)).toEqual(['posts/*'])
    expect(c.auth).toBeNull()
  })

  it('binds auth on a guest -> auth upgrade and keeps it for the same record', () => {
    const c = hub.connect(fakeTransport(), IP)
    hub.setSubscriptions(c.id, ['posts/*'], null, IP)
    hub.setSubscriptions(c.id, ['posts/*'], userAuth('u1'), IP)
    expect(c.auth?.record.id).toBe('u1')
    hub.setSubscriptions(c.id, ['posts/a'], userAuth('u1'), IP)
    expect(c.topics.map((t) => t.raw)).toEqual(['posts/a'])
  })

  it('403 when a bound client is re-posted with another auth record, or without auth', () => {
    const c = hub.connect(fakeTransport(), IP)
    hub.setSubscriptions(c.id, ['posts/*'], userAuth('u1'), IP)
    for (const other of [userAuth('u2'), null, userAuth('u1', 'tk', { id: 'pbc_other', name: 'admins', type: 'auth' } as never)]) {
      const err = thrown(() => hub.setSubscriptions(c.id, [], other, IP))
      expect([err.status, err.message]).toEqual([403, "The current and the previous request authorization don't match."])
    }
    expect(c.auth?.record.id).toBe('u1')
    expect(c.topics).toHaveLength(1)
  })
})

describe('RealtimeHub custom topics (@oauth2)', () => {
  it('finds subscribers, sends to one client and unsubscribes it', () => {
    const hub = new RealtimeHub({ authorize: allow })
    const t = fakeTransport()
    const c = hub.connect(t, IP)
    const other = hub.connect(fakeTransport(), IP)
    hub.setSubscriptions(c.id, ['@oauth2', 'posts/*'], null, IP)
    hub.setSubscriptions(other.id, ['posts/*'], null, IP)
    expect(hub.clientsSubscribedTo('@oauth2').map((x) => x.id)).toEqual([c.id])
    expect(hub.clientsSubscribedTo('posts/*')).toHaveLength(2)
    expect(hub.sendTo(c.id, '@oauth2', '{"state":"s","code":"c"}')).toBe(true)
    expect(t.sent.at(-1)).toEqual({ name: '@oauth2', data: '{"state":"s","code":"c"}' })
    expect(hub.unsubscribe(c.id, '@oauth2')).toBe(true)
    expect(hub.unsubscribe(c.id, '@oauth2')).toBe(false)
    expect(hub.clientsSubscribedTo('@oauth2')).toEqual([])
    expect(c.topics.map((x) => x.raw)).toEqual(['posts/*'])
    expect(hub.sendTo('nope', '@oauth2', '{}')).toBe(false)
    hub.closeAll()
  })
})

describe('RealtimeHub timeouts and shutdown', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('closes a client after the idle timeout without messages; each message resets it', () => {
    const onClose = vi.fn()
    const hub = new RealtimeHub({ authorize: allow, idleTimeoutMs: 1000, onClose })
    const t = fakeTransport()
    const c = hub.connect(t, IP)
    vi.advanceTimersByTime(900)
    hub.sendTo(c.id, 'x', '{}')
    vi.advanceTimersByTime(900)
    expect(t.closed).toBe(false)
    vi.advanceTimersByTime(100)
    expect(t.closed).toBe(true)
    expect(hub.size).toBe(0)
    expect(onClose).toHaveBeenCalledWith(c, 'idle')
  })

  it('closes a client after its max lifetime even when busy', () => {
    const hub = new RealtimeHub({ authorize: allow, idleTimeoutMs: 1000, maxLifetimeMs: 5000 })
    const t = fakeTransport()
    const c = hub.connect(t, IP)
    for (let i = 0; i < 9; i++) {
      vi.advanceTimersByTime(500)
      hub.sendTo(c.id, 'x', '{}')
    }
    expect(t.closed).toBe(false)
    vi.advanceTimersByTime(500)
    expect(t.closed).toBe(true)
    expect(hub.get(c.id)).toBeUndefined()
  })

  it('uses the PocketBase defaults: 5 min idle, 30 min lifetime', () => {
    const hub = new RealtimeHub({ authorize: allow })
    const idle = fakeTransport()
    hub.connect(idle, IP)
    vi.advanceTimersByTime(5 * 60_000 - 1)
    expect(idle.closed).toBe(false)
    vi.advanceTimersByTime(1)
    expect(idle.closed).toBe(true)
  })

  it('disconnect and closeAll close transports, unregister and stop timers', () => {
    const hub = new RealtimeHub({ authorize: allow })
    const [a, b] = [fakeTransport(), fakeTransport()]
    const ca = hub.connect(a, IP)
    hub.connect(b, IP)
    hub.disconnect(ca.id)
    hub.disconnect(ca.id)
    expect([a.closed, b.closed, hub.size]).toEqual([true, false, 1])
    hub.closeAll()
    expect([b.closed, hub.size]).toEqual([true, 0])
    expect(vi.getTimerCount()).toBe(0)
  })
})

describe('RealtimeHub slow consumers', () => {
  it('drops a client whose transport reports a full buffer instead of buffering', async () => {
    const onClose = vi.fn()
    const hub = new RealtimeHub({ authorize: allow, onClose })
    const slow = fakeTransport()
    const fast = fakeTransport()
    const cs = hub.connect(slow, IP)
    const cf = hub.connect(fast, IP)
    hub.setSubscriptions(cs.id, ['posts/*'], null, IP)
    hub.setSubscriptions(cf.id, ['posts/*'], null, IP)
    slow.full = true
    await hub.dispatch({ action: 'create', collectionId: 'c', collectionName: 'posts', record: { id: 'r1' } })
    expect(slow.closed).toBe(true)
    expect(onClose).toHaveBeenCalledWith(cs, 'slow')
    expect(fast.events()).toHaveLength(1)
    expect(hub.size).toBe(1)
    // Two PB_CONNECTs and the fast client's event delivered; the slow client's event dropped (metrics).
    expect(hub.stats).toEqual({ delivered: 3, dropped: 1 })
    hub.closeAll()
  })

  it('drops a client whose queue of pending events exceeds maxPendingPerClient', async () => {
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    const hub = new RealtimeHub({ authorize: async (_a, _t, e) => (await gate, e.record), maxPendingPerClient: 3 })
    const t = fakeTransport()
    const c = hub.connect(t, IP)
    hub.setSubscriptions(c.id, ['posts/*'], null, IP)
    const runs = Array.from({ length: 5 }, (_, i) => hub.dispatch({ action: 'create', collectionId: 'c', collectionName: 'posts', record: { id: `r${i}` } }))
    expect(t.closed).toBe(true)
    release()
    await Promise.all(runs)
    expect(t.events()).toEqual([])
    // The overflowing event and the three queued behind the closed stream were all lost.
    expect(hub.stats.dropped).toBe(4)
  })
})
