// Realtime behind a per-request round-robin load balancer: the SDK's SSE stream and its subscription
// POSTs land on different nodes (no sticky sessions), and `subscribe('*')` still works — the POST is
// relayed to the node holding the stream — with each subscriber's own rules applied.
import http from 'node:http'
import type net from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RecordSubscription } from 'pocketbase'
import { api, createCollection, sdk, signUp, startCluster, waitFor, type Cluster } from './support.ts'

interface Proxy { url: string; log: { method: string; path: string; upstream: number }[]; close(): Promise<void> }

/** A minimal reverse proxy that sends each request to the next upstream in turn and streams bodies (SSE) through. */
async function roundRobinProxy(upstreams: string[]): Promise<Proxy> {
  let next = 0
  const log: Proxy['log'] = []
  const server = http.createServer((req, res) => {
    const i = next++ % upstreams.length
    log.push({ method: req.method ?? '', path: req.url ?? '', upstream: i })
    const target = new URL(req.url ?? '/', upstreams[i])
    const up = http.request(target, { method: req.method, headers: req.headers }, (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.headers)
      upRes.pipe(res)
    })
    up.on('error', () => { if (!res.headersSent) res.writeHead(502); res.end() })
    // The client went away (SDK unsubscribe, test end): drop the upstream stream too.
    res.on('close', () => up.destroy())
    req.pipe(up)
  })
  const sockets = new Set<net.Socket>()
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)) })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as net.AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`, log,
    close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()) }),
  }
}

let cl: Cluster
let proxy: Proxy
let alice: Awaited<ReturnType<typeof signUp>>
let bob: Awaited<ReturnType<typeof signUp>>

beforeAll(async () => {
  cl = await startCluster(3)
  const [A] = cl.nodes.map((n) => n.url)
  const readable = 'public = true || owner = @request.auth.id'
  await createCollection(A, cl.token, {
    name: 'posts', listRule: readable, viewRule: readable,
    fields: [{ name: 'title', type: 'text' }, { name: 'public', type: 'bool' }, { name: 'owner', type: 'relation', collectionId: '_pb_users_auth_', maxSelect: 1 }],
  })
  alice = await signUp(A, 'alice@example.com')
  bob = await signUp(A, 'bob@example.com')
  for (const n of cl.nodes) {
    await waitFor(async () => (await api(n.url, 'GET', '/api/collections/posts/records', { token: alice.token })).status === 200, 5000, `posts on ${n.name}`)
  }
  proxy = await roundRobinProxy(cl.nodes.map((n) => n.url))
})
afterAll(async () => {
  await proxy?.close()
  await cl?.close()
})

describe('realtime through a round-robin proxy in front of 3 nodes', () => {
  it('subscribe("*") works although stream and POST hit different nodes, and events from every node arrive', async () => {
    const pb = sdk(proxy.url)
    const events: RecordSubscription[] = []
    try {
      await pb.collection('posts').subscribe('*', (e) => { events.push(e) })
      // The stream and its subscription POST were served by different nodes.
      const last = (method: string) => [...proxy.log].reverse().find((r) => r.method === method && r.path.startsWith('/api/realtime'))!
      const [get, postReq] = [last('GET'), last('POST')]
      expect(postReq.upstream).not.toBe(get.upstream)
      // Write through each node directly and through the proxy.
      for (const base of [...cl.nodes.map((n) => n.url), proxy.url]) {
        const r = await api(base, 'POST', '/api/collections/posts/records', { token: cl.token, body: { title: `from ${base}`, public: true } })
        expect(r.status, JSON.stringify(r.body)).toBe(200)
      }
      await waitFor(() => events.length === 4, 5000, `4 events (got ${events.length})`)
      expect(events.every((e) => e.action === 'create')).toBe(true)
      // A second subscription re-POSTs the whole set, through yet another node.
      const one = events[0].record.id
      const single: RecordSubscription[] = []
      await pb.collection('posts').subscribe(one, (e) => { single.push(e) })
      await api(cl.nodes[2].url, 'PATCH', `/api/collections/posts/records/${one}`, { token: cl.token, body: { title: 'edited' } })
      await waitFor(() => single.length === 1 && events.length === 5, 5000, 'update on both subscriptions')
      expect(single[0]).toMatchObject({ action: 'update', record: { id: one, title: 'edited' } })
    } finally {
      await pb.realtime.unsubscribe().catch(() => {})
    }
  })

  it('an authenticated subscriber gets its own private posts but not another user\'s', async () => {
    const pb = sdk(proxy.url)
    await pb.collection('users').authWithPassword(alice.email, alice.password)
    const seen: string[] = []
    try {
      await pb.collection('posts').subscribe('*', (e) => { seen.push(e.record.title) })
      await api(cl.nodes[0].url, 'POST', '/api/collections/posts/records', { token: cl.token, body: { title: 'bob private', owner: bob.id } })
      await api(cl.nodes[1].url, 'POST', '/api/collections/posts/records', { token: cl.token, body: { title: 'alice private', owner: alice.id } })
      await api(cl.nodes[2].url, 'POST', '/api/collections/posts/records', { token: cl.token, body: { title: 'public', public: true } })
      await waitFor(() => seen.includes('alice private') && seen.includes('public'), 5000, 'alice\'s events')
      await new Promise((r) => setTimeout(r, 300))
      expect(seen.sort()).toEqual(['alice private', 'public'])
    } finally {
      await pb.realtime.unsubscribe().catch(() => {})
    }
  })
})
