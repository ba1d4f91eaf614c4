// HTTP timeouts and per-IP caps (docs/operations.md "Timeouts and caps"): slow or silent clients and one
// greedy address cannot hold the server's sockets, memory or realtime slots.
import type { IncomingHttpHeaders, Server } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { HttpLimits } from '../config.ts'
import { ApiError } from '../core/errors.ts'
import { inList, normalizeIp, parseProxyList } from './client-ip.ts'

/** Counts open things (connections, streams) per key and refuses past a cap; 0 = no cap. */
export class PerKeyCounter {
  private readonly counts = new Map<string, number>()
  constructor(private readonly max: number) {}

  /** Takes a slot for `key`; false (and nothing taken) when the key is at the cap. */
  tryAcquire(key: string): boolean {
    const n = this.counts.get(key) ?? 0
    if (this.max > 0 && n >= this.max) return false
    this.counts.set(key, n + 1)
    return true
  }

  release(key: string): void {
    const n = (this.counts.get(key) ?? 1) - 1
    if (n <= 0) this.counts.delete(key)
    else this.counts.set(key, n)
  }

  count(key: string): number {
    return this.counts.get(key) ?? 0
  }
}

/** Fastify options for the Node timeouts: headers, the whole request (backstop), idle keep-alive. */
export function serverTimeoutOptions(limits: HttpLimits) {
  return {
    keepAliveTimeout: limits.idleTimeoutMs,
    // Node answers 408 itself when the request is not fully received by then; the body timer below
    // answers first in PocketBase's shape, this only catches what it cannot see.
    requestTimeout: limits.headersTimeoutMs + limits.bodyTimeoutMs,
    http: {
      headersTimeout: limits.headersTimeoutMs,
      // Node checks header/request deadlines on this interval (30 s by default, far too coarse).
      connectionsCheckingInterval: Math.max(250, Math.min(1000, limits.headersTimeoutMs / 4)),
    },
  }
}

const TOO_MANY_CONNECTIONS = JSON.stringify(new ApiError(429, 'Too many open connections from your address.').toJSON())

/**
 * Caps open TCP connections per peer address. Connections from `trustedProxies` are not capped: every
 * client behind a proxy shares its address (null = none exempt; loopback is NOT exempt by default).
 */
export function capConnectionsPerIp(server: Server, max: number, trustedProxies: string[] | null): void {
  if (max <= 0) return
  const exempt = trustedProxies?.length ? parseProxyList(trustedProxies) : null
  const open = new PerKeyCounter(max)
  server.prependListener('connection', (socket: Socket) => {
    const ip = normalizeIp(socket.remoteAddress) ?? ''
    if (exempt && inList(exempt, ip)) return
    if (open.tryAcquire(ip)) {
      socket.once('close', () => open.release(ip))
      return
    }
    // Answered without reading the request: a refusal is all this address gets until it closes some.
    socket.on('error', () => {})
    socket.end(`HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(TOO_MANY_CONNECTIONS)}\r\n\r\n${TOO_MANY_CONNECTIONS}`)
    setTimeout(() => socket.destroy(), 1000).unref()
  })
}

/** Whether the request announced a body (Content-Length > 0 or chunked). */
export function hasBody(req: { headers: IncomingHttpHeaders }): boolean {
  const length = req.headers['content-length']
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined
}

/** Answers once, closing the connection (the rest of the request, if any, is not read). */
function answerAndClose(reply: FastifyReply, err: ApiError): void {
  if (reply.sent || reply.raw.headersSent) return
  void reply.status(err.status).header('connection', 'close').send(err.toJSON())
}

/** How long a connection answered before its body arrived keeps reading (and discarding) before it is closed. */
export const LINGER_MS = 5000

/**
 * A 413, or any response sent while the request body is still unread (a refusal decided before the
 * body), closes the connection: the unread bytes would otherwise be read as the next request.
 * The close lingers (see lingerBeforeClose) so the client gets the answer instead of a reset.
 */
export function registerCloseOnUnreadBody(f: FastifyInstance): void {
  f.addHook('onSend', (req, reply, payload, done) => {
    const unread = !req.raw.complete && hasBody(req)
    if (reply.statusCode === 413 || unread) reply.header('connection', 'close')
    if (unread) lingerBeforeClose(req.raw.socket, LINGER_MS)
    done(null, payload)
  })
}

const LINGERING = Symbol('basalt.lingering')

/**
 * Closing a socket whose receive buffer still holds bytes makes the kernel send a reset, and a reset can
 * discard the answer before the client has read it (a client still uploading 30 MB never sees its 403).
 * So once the answer is written: send FIN, keep reading — Node's parser discards the rest of the request
 * body — and close when the client closes its side or after `ms`, whichever comes first. Nothing read
 * here is buffered.
 */
export function lingerBeforeClose(socket: Socket | null | undefined, ms: number): void {
  const s = socket as (Socket & { [LINGERING]?: boolean }) | null | undefined
  if (!s || s[LINGERING] || s.destroyed) return
  s[LINGERING] = true
  // Node ends a `Connection: close` response with destroySoon() (end, then destroy once flushed).
  s.destroySoon = function (this: Socket) {
    if (this.destroyed) return
    const timer = setTimeout(() => this.destroy(), ms)
    timer.unref()
    this.once('close', () => clearTimeout(timer))
    this.once('end', () => this.destroy())
    this.end()
    this.resume()
  }
}

/**
 * The body deadline (408 when a body still trickles in after `bodyTimeoutMs`) and the response deadline
 * (503 when no response started within `requestTimeoutMs`; the handler's work may still complete).
 */
export function registerRequestDeadlines(f: FastifyInstance, limits: HttpLimits): void {
  f.addHook('onRequest', (req, reply, done) => {
    const timers: NodeJS.Timeout[] = []
    if (hasBody(req)) {
      const body = setTimeout(() => {
        if (req.raw.complete) return
        req.log.warn({ ip: req.ip }, 'request body too slow: closing')
        answerAndClose(reply, new ApiError(408))
      }, limits.bodyTimeoutMs)
      req.raw.once('end', () => clearTimeout(body))
      timers.push(body)
    }
    timers.push(setTimeout(() => {
      req.log.warn({ url: req.url }, 'request took too long: answering 503')
      answerAndClose(reply, new ApiError(503, 'The request took too long to process.'))
    }, limits.requestTimeoutMs))
    // Streams and downloads have started their response by then: answerAndClose leaves those alone.
    const clear = () => { for (const t of timers) clearTimeout(t) }
    reply.raw.once('finish', clear)
    reply.raw.once('close', clear)
    done()
  })
}
