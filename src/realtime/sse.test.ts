// SSE transport: wire format and backpressure (unit), plus a real HTTP server driven by EventSource and the pocketbase SDK.
import { EventEmitter } from 'node:events'
import { createServer, get, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { EventSource } from 'eventsource'
import PocketBase from 'pocketbase'
import { afterEach, describe, expect, it } from 'vitest'
import { ApiError } from '../core/errors.ts'
import { waitFor } from './brokers/broker.contract.ts'
import { RealtimeHub } from './hub.ts'
import { formatSseMessage, openSseStream } from './sse.ts'
import { change } from './test-support.ts'
import type { Authorizer } from './types.ts'

const allow: Authorizer = async (_a, _t, e) => e.record

describe('formatSseMessage', () => {
  it('writes PocketBase framing: id, event, data, blank line', () => {
    expect(formatSseMessage('CID', 'posts/*', '{"a":1}')).toBe('id:CID\nevent:posts/*\ndata:{"a":1}\n\n')
  })

  it('splits multi-line data into data: lines and refuses names with line breaks', () => {
    expect(formatSseMessage('C', 'x', 'a\nb\r\nc')).toBe('id:C\nevent:x\ndata:a\ndata:b\ndata:c\n\n')
    expect(() => formatSseMessage('C', 'x\ndata:forged', '{}')).toThrow(TypeError)
  })
})

/** Minimal ServerResponse double whose socket buffer we control. */
function fakeResponse(opts: { writeReturns: boolean; buffered: number }) {
  const res = Object.assign(new EventEmitter(), {
    chunks: [] as string[],
    headers: {} as Record<string, unknown>,
    status: 0,
    destroyed: false,
    writableEnded: false,
    writableLength: 0,
    writeHead(status: number, headers: Record<string, unknown>) {
      res.status = status
      res.headers = headers
    },
    flushHeaders() {},
    write(chunk: string) {
      res.chunks.push(chunk)
      res.writableLength = opts.buffered
      return opts.writeReturns
    },
    end() {
      res.writableEnded = true
    },
    destroy() {
      res.destroyed = true
      res.emit('close')
    },
  })
  const socket = { setTimeout() {}, setNoDelay() {}, setKeepAlive() {} }
  const req = Object.assign(new EventEmitter(), { destroyed: false, httpVersionMajor: 1, socket })
  return { req: req as unknown as IncomingMessage, res }
}

describe('openSseStream backpressure', () => {
  it('tolerates ordinary backpressure but drops a client with over 1 MiB buffered', async () => {
    const hub = new RealtimeHub({ authorize: allow })
    const ok = fakeResponse({ writeReturns: false, buffered: 64 * 1024 })
    const okClient = openSseStream(ok.req, ok.res as unknown as ServerResponse, hub, '1.1.1.1', { heartbeatMs: 0 })!
    const slow = fakeResponse({ writeReturns: false, buffered: 2 * 1024 * 1024 })
    openSseStream(slow.req, slow.res as unknown as ServerResponse, hub, '1.1.1.1', { heartbeatMs: 0 })
    expect(slow.res.destroyed).toBe(true) // PB_CONNECT already overflowed: dropped, backlog discarded
    expect(hub.size).toBe(1)
    expect(ok.res.status).toBe(200)
    expect(ok.res.headers).toEqual({
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    })
    hub.setSubscriptions(okClient.id, ['posts/*'], null, '1.1.1.1')
    await hub.dispatch(change('create', { id: 'r1' }))
    expect(ok.res.chunks.at(-1)).toBe(`id:${okClient.id}\nevent:posts/*\ndata:{"action":"create","record":{"id":"r1"}}\n\n`)
    ok.res.emit('close')
    expect(hub.size).toBe(0)
  })
})

describe('SSE over a real HTTP server', () => {
  let server: Server | undefined
  let hub: RealtimeHub
  const closers: (() => void)[] = []
  afterEach(async () => {
    closers.splice(0).forEach((c) => c())
    hub?.closeAll()
    server?.closeAllConnections() // keep-alive sockets would hold close() for seconds
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()))
    server = undefined
  })

  /** GET /api/realtime -> SSE; POST /api/realtime -> setSubscriptions (what the lead's Fastify route will do). */
  async function start(): Promise<{ url: string; ips: string[] }> {
    hub = new RealtimeHub({ authorize: allow })
    const ips: string[] = []
    server = createServer((req, res) => {
      const ip = req.socket.remoteAddress ?? ''
      if (req.url === '/api/realtime' && req.method === 'GET') {
        ips.push(ip)
        openSseStream(req, res, hub, ip)
        return
      }
      let body = ''
      req.on('data', (c) => (body += c))
      req.on('end', () => {
        try {
          const { clientId, subscriptions } = JSON.parse(body || '{}')
          hub.setSubscriptions(clientId, subscriptions, null, ip)
          res.writeHead(204).end()
        } catch (err) {
          const e = err instanceof ApiError ? err : new ApiError(400)
          res.writeHead(e.status, { 'Content-Type': 'application/json' }).end(JSON.stringify(e))
        }
      })
    })
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r))
    return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}`, ips }
  }

  it('sends headers and PB_CONNECT bytes immediately', async () => {
    const { url } = await start()
    const { res, first } = await new Promise<{ res: IncomingMessage; first: string }>((resolve) => {
      get(`${url}/api/realtime`, (res) => res.once('data', (chunk: Buffer) => resolve({ res, first: chunk.toString() })))
    })
    closers.push(() => res.destroy())
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe('text/event-stream')
    expect(res.headers['cache-control']).toBe('no-store')
    expect(res.headers['x-accel-buffering']).toBe('no')
    expect(first).toMatch(/^id:([A-Za-z0-9]{40})\nevent:PB_CONNECT\ndata:\{"clientId":"\1"\}\n\n$/)
  })

  it('EventSource gets PB_CONNECT with lastEventId = clientId, then a dispatched event; closing unregisters', async () => {
    const { url, ips } = await start()
    const es = new EventSource(`${url}/api/realtime`)
    closers.push(() => es.close())
    const connect = await new Promise<MessageEvent>((r) => es.addEventListener('PB_CONNECT', r))
    const clientId = connect.lastEventId
    expect(JSON.parse(connect.data)).toEqual({ clientId })
    expect(hub.get(clientId)).toBeDefined()

    const topic = 'posts/*?options=%7B%22query%22%3A%7B%22expand%22%3A%22author%22%7D%7D'
    hub.setSubscriptions(clientId, [topic], null, ips[0])
    const got = new Promise<MessageEvent>((r) => es.addEventListener(topic, r))
    await hub.dispatch(change('create', { id: 'r1', title: 'hi' }))
    const ev = await got
    expect(JSON.parse(ev.data)).toEqual({ action: 'create', record: { id: 'r1', title: 'hi' } })
    expect(ev.lastEventId).toBe(clientId)

    es.close()
    await waitFor(() => hub.size === 0)
  })

  it('works unchanged with the pocketbase SDK subscribe/unsubscribe', async () => {
    const { url } = await start()
    const g = globalThis as { EventSource?: unknown }
    const previous = g.EventSource
    g.EventSource = EventSource
    closers.push(() => (g.EventSource = previous))
    const pb = new PocketBase(url)
    const seen: unknown[] = []
    const unsubscribe = await pb.collection('posts').subscribe('*', (e) => seen.push(e), { filter: 'title != ""', headers: { 'X-Mode': 'a' } })
    const client = hub.get(pb.realtime.clientId)!
    const sdkTopic = `posts/*?options=${encodeURIComponent(JSON.stringify({ query: { filter: 'title != ""' }, headers: { 'X-Mode': 'a' } }))}`
    expect(client.topics.map((t) => t.raw)).toEqual([sdkTopic])
    // options.headers stay in the topic string but never reach rules: only headers really sent do (none here).
    expect(client.topics[0].options).toEqual({ query: { filter: 'title != ""' }, headers: {} })
    await hub.dispatch(change('update', { id: 'r9' }))
    await waitFor(() => seen.length === 1)
    expect(seen[0]).toEqual({ action: 'update', record: { id: 'r9' } })
    await unsubscribe() // last topic: the SDK closes the EventSource without a POST
    await waitFor(() => hub.size === 0)
  })
})
