// Realtime forwarding over HTTP: two createApp() nodes on one PostgreSQL database + Redis; a client's
// SSE stream on A, its `POST /api/realtime` through B (as a per-request load balancer would send it).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { Redis } from 'ioredis'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp, type App } from '../app.ts'
import { resolveConfig, type Config } from '../config.ts'
import { buildServer } from '../http/server.ts'
import { SUPERUSERS_NAME, USERS_ID } from '../core/collections/types.ts'
import { guestRequest } from '../rules/request-info.ts'
import { POSTGRES_URL, REDIS_URL, probe } from '../../test/support/services.ts'

const hasPg = probe('postgres')
const hasRedis = hasPg && probe('redis')
if (!hasPg) console.warn(`SKIP realtime-forward: no PostgreSQL at ${POSTGRES_URL}.`)
else if (!hasRedis) console.warn(`SKIP realtime-forward over Redis: no Redis at ${REDIS_URL}.`)

async function admin(text: string): Promise<void> {
  const c = new pg.Client({ connectionString: POSTGRES_URL })
  await c.connect()
  try { await c.query(text) } finally { await c.end() }
}

async function waitFor(check: () => boolean, timeoutMs = 3000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

interface Node { app: App; server: FastifyInstance; url: string }
interface Stream { clientId: string; events: { name: string; data: any }[]; close(): void }

/** Opens `GET /api/realtime` and collects its messages (the clientId comes with PB_CONNECT). */
async function openStream(base: string): Promise<Stream> {
  const ctl = new AbortController()
  const res = await fetch(`${base}/api/realtime`, { signal: ctl.signal })
  const events: Stream['events'] = []
  let buf = ''
  void (async () => {
    const dec = new TextDecoder()
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buf += dec.decode(chunk, { stream: true })
        for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
          const lines = buf.slice(0, i).split('\n')
          buf = buf.slice(i + 2)
          const field = (k: string) => lines.filter((l) => l.startsWith(`${k}:`)).map((l) => l.slice(k.length + 1)).join('\n')
          events.push({ name: field('event'), data: JSON.parse(field('data')) })
        }
      }
    } catch { /* aborted */ }
  })()
  await waitFor(() => events.length > 0, 3000, 'PB_CONNECT')
  return { clientId: events[0].data.clientId, events, close: () => ctl.abort() }
}

async function post(base: string, body: unknown, token?: string, extra: Record<string, string> = {}): Promise<{ status: number; body: any; ms: number }> {
  const started = Date.now()
  const res = await fetch(`${base}/api/realtime`, {
    method: 'POST', body: JSON.stringify(body),
    headers: { 'content-type': 'application/json', ...(token ? { authorization: token } : {}), ...extra },
  })
  const text = await res.text()
  return { status: res.status, body: text ? JSON.parse(text) : null, ms: Date.now() - started }
}

const root = (app: App) => guestRequest({ auth: { collection: app.collections.get(SUPERUSERS_NAME), record: { id: 'test' } } })

describe.skipIf(!hasPg)('realtime forwarding between nodes', () => {
  const dbName = `basalt_rf_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`
  const prefix = `rf${Math.random().toString(36).slice(2, 8)}`
  const nodes: Node[] = []
  const dirs: string[] = []
  const streams: Stream[] = []
  let dbUrl = ''
  const users: { id: string; token: string }[] = []

  async function start(over: Partial<Config>): Promise<Node> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'basalt-rf-'))
    dirs.push(dir)
    const app = await createApp(resolveConfig({ dataDir: dir, logLevel: 'silent', databaseUrl: dbUrl }, over), { cluster: { prefix } })
    const server = await buildServer(app)
    await server.listen({ host: '127.0.0.1', port: 0 })
    const addr = server.server.address()
    const node = { app, server, url: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}` }
    nodes.push(node)
    return node
  }
  async function stream(base: string): Promise<Stream> {
    const s = await openStream(base)
    streams.push(s)
    return s
  }
  /** Creates a record through `node` (its broker publishes the event). */
  async function write(node: Node, collection: string, body: Record<string, unknown>) {
    const c = node.app.collections.get(collection)
    return node.app.records.create(c, { body, files: new Map() }, {}, root(node.app)) as Promise<{ id: string }>
  }

  beforeAll(async () => {
    await admin(`CREATE DATABASE ${dbName}`)
    const u = new URL(POSTGRES_URL)
    u.pathname = `/${dbName}`
    dbUrl = u.toString()
  })
  afterAll(async () => {
    for (const s of streams) s.close()
    for (const n of nodes) {
      n.app.hub.closeAll()
      await n.server.close()
      await n.app.close()
    }
    await admin(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`)
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true })
  })

  describe.skipIf(!hasRedis)('over Redis', () => {
    let A: Node
    let B: Node
    beforeAll(async () => {
      A = await start({ redisUrl: REDIS_URL })
      // Collections and users exist before B starts, so B loads them at startup.
      await A.app.collections.create({ name: 'posts', type: 'base', fields: [{ name: 'title', type: 'text' }], listRule: '', viewRule: '' })
      const owned = 'owner = @request.auth.id'
      await A.app.collections.create({
        name: 'secrets', type: 'base', listRule: owned, viewRule: owned,
        fields: [{ name: 'title', type: 'text' }, { name: 'owner', type: 'relation', collectionId: USERS_ID, maxSelect: 1 }],
      })
      for (const email of ['u1@example.com', 'u2@example.com']) {
        const rec = await write(A, USERS_ID, { email, password: 'user-password-1', passwordConfirm: 'user-password-1' })
        const login = await fetch(`${A.url}/api/collections/users/auth-with-password`, {
          method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ identity: email, password: 'user-password-1' }),
        })
        users.push({ id: rec.id, token: (await login.json()).token })
      }
      B = await start({ redisUrl: REDIS_URL })
    })

    it('stream on A, subscriptions through B: 204, and events written through either node arrive', async () => {
      const s = await stream(A.url)
      expect(B.app.hub.get(s.clientId)).toBeUndefined()
      const r = await post(B.url, { clientId: s.clientId, subscriptions: ['posts/*'] })
      expect(r.status, JSON.stringify(r.body)).toBe(204)
      expect(A.app.hub.get(s.clientId)?.topics.map((t) => t.raw)).toEqual(['posts/*'])
      await write(A, 'posts', { title: 'via A' })
      await write(B, 'posts', { title: 'via B' })
      await waitFor(() => s.events.filter((e) => e.name === 'posts/*').length === 2, 3000, 'two events')
      expect(s.events.filter((e) => e.name === 'posts/*').map((e) => e.data.record.title).sort()).toEqual(['via A', 'via B'])
    })

    it('the real headers of a subscription sent through B reach A\'s rules; topic options.headers never do', async () => {
      const s = await stream(A.url)
      const options = encodeURIComponent(JSON.stringify({ headers: { 'X-Api-Key': 'forged' } }))
      const r = await post(B.url, { clientId: s.clientId, subscriptions: [`posts/*?options=${options}`] }, undefined, { 'x-api-key': 'real' })
      expect(r.status, JSON.stringify(r.body)).toBe(204)
      expect(A.app.hub.get(s.clientId)?.topics[0].options.headers.x_api_key).toBe('real')
    })

    it('an unknown clientId answers 404 within the bound; invalid input answers 400 without waiting', async () => {
      const r = await post(B.url, { clientId: 'no-such-client', subscriptions: ['posts/*'] })
      expect(r.status).toBe(404)
      expect(r.body).toEqual({ status: 404, message: 'Missing or invalid client id.', data: {} })
      expect(r.ms).toBeLessThan(3500)
      const bad = await post(B.url, { clientId: 'no-such-client', subscriptions: [42] })
      expect(bad.status).toBe(400)
      expect(bad.body.data.subscriptions).toBeDefined()
      expect(bad.ms).toBeLessThan(1000)
    })

    it('binds the auth sent through B: the user gets its own private records, not another user\'s', async () => {
      const s = await stream(A.url)
      const r = await post(B.url, { clientId: s.clientId, subscriptions: ['secrets/*'] }, users[0].token)
      expect(r.status, JSON.stringify(r.body)).toBe(204)
      expect(A.app.hub.get(s.clientId)?.auth?.record.id).toBe(users[0].id)
      // The hub got a full record (tokenKey included) so it can notice a later revocation.
      expect(A.app.hub.get(s.clientId)?.auth?.record.tokenKey).toBeTruthy()
      await write(B, 'secrets', { title: 'of u2', owner: users[1].id })
      await write(B, 'secrets', { title: 'of u1', owner: users[0].id })
      await waitFor(() => s.events.some((e) => e.name === 'secrets/*'), 3000, 'u1 secret')
      await write(A, 'posts', { title: 'marker' }) // nothing more for `secrets/*` is in flight after u1's
      await new Promise((r) => setTimeout(r, 300))
      expect(s.events.filter((e) => e.name === 'secrets/*').map((e) => e.data.record.title)).toEqual(['of u1'])
    })

    it('guest → user upgrade through B works; user → other user through B is 403', async () => {
      const s = await stream(A.url)
      expect((await post(B.url, { clientId: s.clientId, subscriptions: ['secrets/*'] })).status).toBe(204)
      expect(A.app.hub.get(s.clientId)?.auth).toBeNull()
      expect((await post(B.url, { clientId: s.clientId, subscriptions: ['secrets/*'] }, users[0].token)).status).toBe(204)
      expect(A.app.hub.get(s.clientId)?.auth?.record.id).toBe(users[0].id)
      const r = await post(B.url, { clientId: s.clientId, subscriptions: ['secrets/*'] }, users[1].token)
      expect(r.status).toBe(403)
      expect(r.body.message).toBe("The current and the previous request authorization don't match.")
      // A guest cannot strip the binding either (same rule as on the owning node).
      expect((await post(B.url, { clientId: s.clientId, subscriptions: [] })).status).toBe(403)
      expect(A.app.hub.get(s.clientId)?.auth?.record.id).toBe(users[0].id)
    })

    it('a one-shot @oauth2 relay reaches a subscriber held by another node (topic and IP checked)', async () => {
      const s = await stream(A.url)
      expect((await post(B.url, { clientId: s.clientId, subscriptions: ['@oauth2'] })).status).toBe(204)
      const relay = B.app.realtimeForward!
      expect(await relay.relayOnce(s.clientId, 'posts/*', '{}', '127.0.0.1')).toBe(false) // not subscribed
      expect(await relay.relayOnce(s.clientId, '@oauth2', '{}', '10.9.9.9')).toBe(false) // other IP
      expect(await relay.relayOnce(s.clientId, '@oauth2', '{"code":"c"}', '127.0.0.1')).toBe(true)
      await waitFor(() => s.events.some((e) => e.name === '@oauth2'), 2000, '@oauth2')
      expect(s.events.filter((e) => e.name === '@oauth2').map((e) => e.data)).toEqual([{ code: 'c' }])
      expect(A.app.hub.get(s.clientId)?.topics).toEqual([])
      // One redirect, one delivery: a replay finds no subscription.
      expect(await relay.relayOnce(s.clientId, '@oauth2', '{"code":"c"}', '127.0.0.1')).toBe(false)
      // The HTTP popup relay on B uses it: GET /api/oauth2-redirect?state=<clientId held by A>.
      expect((await post(B.url, { clientId: s.clientId, subscriptions: ['@oauth2'] })).status).toBe(204)
      const page = await fetch(`${B.url}/api/oauth2-redirect?state=${s.clientId}&code=xyz`)
      expect(page.status).toBe(200)
      await waitFor(() => s.events.filter((e) => e.name === '@oauth2').length === 2, 2000, 'relayed @oauth2')
      expect(s.events.filter((e) => e.name === '@oauth2')[1].data).toEqual({ state: s.clientId, code: 'xyz' })
      expect((await fetch(`${B.url}/api/oauth2-redirect?state=${s.clientId}&code=xyz`)).status).toBe(400) // replay
    })

    it('malformed messages on the forwarding channels crash nothing; forwarding still works', async () => {
      const raw = new Redis(REDIS_URL)
      try {
        const junk = ['not json', '[]', 'null', '{"kind":"subscribe"}', JSON.stringify({ kind: 'subscribe', requestId: 'x', from: 'y', clientId: 'z'.repeat(5000) })]
        const s = await stream(A.url)
        junk.push(JSON.stringify({ kind: 'subscribe', requestId: 'r1', from: 'evil', clientId: s.clientId, subscriptions: 'posts', auth: 7, ip: {} }))
        junk.push(JSON.stringify({ kind: 'subscribe', requestId: 'r2', from: 'evil', clientId: s.clientId, subscriptions: [{}], auth: null, ip: '1.2.3.4' }))
        junk.push(JSON.stringify({ kind: 'relay', requestId: 'r3', from: 'evil', clientId: s.clientId, topic: ['x'], data: 5, ip: null }))
        for (const d of junk) {
          for (const ch of ['realtime-fwd', `realtime-fwd-reply:${B.app.nodeId}`]) {
            await raw.publish(`basalt:${prefix}:${ch}`, JSON.stringify({ n: 'evil', t: 'x', d }))
          }
          // Not even an envelope. ('null' is left out: RedisBroker.receive itself throws on it — reported.)
          if (d !== 'null') await raw.publish(`basalt:${prefix}:realtime-fwd`, d)
        }
        const r = await post(B.url, { clientId: s.clientId, subscriptions: ['posts/*'] })
        expect(r.status).toBe(204)
        expect(A.app.hub.get(s.clientId)?.topics.map((t) => t.raw)).toEqual(['posts/*'])
      } finally {
        raw.disconnect()
      }
    })
  })

  it('without Redis (PostgreSQL only) nothing is forwarded: another node\'s client is 404 at once', async () => {
    const [C, D] = [await start({ redisUrl: null }), await start({ redisUrl: null })]
    expect(C.app.realtimeForward).toBeNull()
    const s = await stream(C.url)
    const r = await post(D.url, { clientId: s.clientId, subscriptions: ['posts/*'] })
    expect(r.status).toBe(404)
    expect(r.ms).toBeLessThan(1000)
    expect((await post(C.url, { clientId: s.clientId, subscriptions: ['posts/*'] })).status).toBe(204)
  })
})
