// Load shedding: an overloaded node refuses a share of new requests at once with 503 + Retry-After —
// cheap to answer, so the requests it does take are served within their deadlines instead of every
// request queueing without bound (and every client timing out). Design and measurements:
// docs/decisions/0011-load-shedding-signals.md.
//
// Requests in flight alone cannot see overload here: with synchronous SQLite a request runs to its end
// inside the callback that read it, so "in flight" stays near zero while the real queue builds up where
// the process cannot count it:
//  - ready sockets, which the loop comes back to late: the event-loop stall, counted when it lasts two
//    windows running (one long task or GC pause is not a queue);
//  - the kernel's accept queue: libuv accepts ONE connection per loop iteration (libuv#3696), so on a
//    saturated loop new connections wait there for seconds while the stall looks harmless. Linux tells
//    the queue's length (accept-queue.ts); with the accepted count that dates its head.
// Every window, while the loop is saturated (utilisation > 90 %) and either wait passes the limit, the
// refused share grows (faster the further past the limit); once the loop has idle time it shrinks. A
// draining accept queue (a burst of clients connecting at once) does not count. While shedding, the
// first request of a connection that waited past the limit in the accept queue is refused too: it is
// already late, while requests on established connections are fresh (drop the oldest, as CoDel does).
// Refusing happens in the raw Node request handler, before Fastify builds a request: a refusal costs
// a few microseconds against the hundreds an answered request costs.
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { monitorEventLoopDelay, performance, type EventLoopUtilization, type IntervalHistogram } from 'node:perf_hooks'
import { AcceptQueueAge, acceptQueueLength } from './accept-queue.ts'
import { corsHeaders, type CorsOrigins } from './cors.ts'
import { hasBody } from './limits.ts'

export interface SheddingLimits {
  /** Requests being processed at once (realtime streams not counted); 0 = no limit. */
  maxInFlight: number
  /** Queueing limit: while the loop is saturated and requests wait longer than this (stall or accept queue), a growing share is refused; 0 = off. */
  maxEventLoopDelayMs: number
}

const SHED_BODY = { status: 503, message: 'The server is overloaded; retry the request shortly.', data: {} }
const SHED_JSON = JSON.stringify(SHED_BODY)

/** How often the controller looks at the loop, and how it moves the refused share (per window). */
const SHED_WINDOW_MS = 50
const SATURATED_UTILISATION = 0.9
const SHARE_STEP_UP = 0.05
/** A step up grows with how far past the limit the wait is, to this many steps at most. */
const MAX_STEPS_UP = 4
/** Down fast while the loop has idle time; slowly while it is saturated without queueing past the limit. */
const SHARE_STEP_DOWN_IDLE = 0.05
const SHARE_STEP_DOWN_BUSY = 0.01
/** Never refuse everything: some requests must still get through to show the load has passed. */
const MAX_SHARE = 0.95

/**
 * Paths never shed: health checks (a load balancer must see the node is alive but busy — it answers),
 * realtime (long-lived streams are not requests in flight), and the superuser-only admin API, so an
 * operator can still act on an overloaded node (non-superusers are refused there before any work).
 */
const EXEMPT = /^\/api\/(health|metrics|realtime|settings|logs|backups|jobs|crons|workflows|webhooks|sql)(\/|\?|$)|^\/api\/collections\/_superusers\/auth-with-password(\?|$)/

export function isExempt(url: string): boolean {
  return EXEMPT.test(url)
}

/** What the controller saw of the loop over one window. */
export interface LoopWindow {
  /** Share of the window the loop was busy (0 … 1). */
  utilisation: number
  /** Event-loop stall, ms (the shorter of this window's and the previous one's longest). */
  stallMs: number
  /** How long the connection at the head of the kernel's accept queue has waited, ms; 0 when not known. */
  acceptWaitMs: number
}

/** One controller step: the next refused share from the last window. */
export function nextShedShare(share: number, w: LoopWindow, maxStallMs: number): number {
  const waitMs = Math.max(w.stallMs, w.acceptWaitMs)
  const saturated = w.utilisation > SATURATED_UTILISATION
  if (saturated && waitMs > maxStallMs) return Math.min(MAX_SHARE, share + SHARE_STEP_UP * Math.min(MAX_STEPS_UP, waitMs / maxStallMs))
  return Math.max(0, share - (saturated ? SHARE_STEP_DOWN_BUSY : SHARE_STEP_DOWN_IDLE))
}

export class LoadShedder {
  inFlight = 0
  shed = 0
  /** Share of new requests refused because the loop is saturated (0 … MAX_SHARE). */
  share = 0
  private readonly histogram: IntervalHistogram | null = null
  private readonly timer: NodeJS.Timeout | null = null
  private utilisationMark: EventLoopUtilization = performance.eventLoopUtilization()
  private windowStart = performance.now()
  private listening: { port: number; family: 'IPv4' | 'IPv6' } | null = null
  private readonly acceptQueue = new AcceptQueueAge()
  private lastStallMs = 0
  /** Head-of-accept-queue age at the last window, ms. */
  private acceptWaitMs = 0
  /** Connections accepted while the accept queue's head had waited past the limit, until their first request. */
  private readonly staleConnections = new WeakSet<object>()

  constructor(private readonly limits: SheddingLimits, private readonly corsOrigins: CorsOrigins = ['*']) {
    if (limits.maxEventLoopDelayMs > 0) {
      this.histogram = monitorEventLoopDelay({ resolution: 10 })
      this.histogram.enable()
      this.timer = setInterval(() => this.sample(), SHED_WINDOW_MS)
      this.timer.unref()
    }
  }

  /** Watches `server`'s accept queue once it listens on a TCP port. */
  watch(server: Server): void {
    server.on('connection', (socket: object) => {
      this.acceptQueue.accepted++
      if (this.share > 0 && this.acceptWaitMs > this.limits.maxEventLoopDelayMs) this.staleConnections.add(socket)
    })
    server.on('listening', () => {
      const a = server.address()
      if (a && typeof a === 'object') this.listening = { port: a.port, family: a.family === 'IPv6' ? 'IPv6' : 'IPv4' }
    })
  }

  /** Why a new request would be refused now, or null. */
  private reason(): 'in-flight' | 'event-loop' | null {
    if (this.limits.maxInFlight > 0 && this.inFlight >= this.limits.maxInFlight) return 'in-flight'
    if (this.share > 0 && Math.random() < this.share) return 'event-loop'
    return null
  }

  /**
   * Raw request gate, ahead of Fastify: answers 503 and returns false for a refused request; otherwise
   * counts it in flight until its response closes and returns true.
   */
  admit(req: IncomingMessage, res: ServerResponse): boolean {
    if (isExempt(req.url ?? '')) return true
    if (this.staleConnections.delete(req.socket) || this.reason()) {
      this.shed++
      // The request body (if any) is not read: close the connection rather than parse it as the next request.
      res.writeHead(503, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(SHED_JSON),
        'retry-after': '1',
        ...corsHeaders(this.corsOrigins, req.headers.origin),
        ...(hasBody(req) ? { connection: 'close' } : {}),
      })
      res.end(SHED_JSON)
      return false
    }
    this.inFlight++
    // 'close' fires once per response, also for aborted requests.
    res.once('close', () => { this.inFlight-- })
    return true
  }

  close(): void {
    if (this.timer) clearInterval(this.timer)
    this.histogram?.disable()
  }

  private sample(): void {
    const now = performance.now()
    const windowMs = now - this.windowStart
    this.windowStart = now
    const h = this.histogram!
    // No sample at all: one callback held the loop for the whole window.
    const stallMs = h.count ? h.max / 1e6 : windowMs
    h.reset()
    const sustainedStallMs = Math.min(stallMs, this.lastStallMs)
    this.lastStallMs = stallMs
    const elu = performance.eventLoopUtilization()
    const utilisation = performance.eventLoopUtilization(elu, this.utilisationMark).utilization
    this.utilisationMark = elu
    // Reading the queue costs the kernel ~0.5 ms: only while the loop is saturated (otherwise it drains).
    const saturated = utilisation > SATURATED_UTILISATION
    this.acceptQueue.record(now, saturated && this.listening ? acceptQueueLength(this.listening.port, this.listening.family) : null)
    this.acceptWaitMs = this.acceptQueue.headAgeMs()
    // A queue that drains (a burst of new connections) is not overload, however old its head is.
    const acceptWaitMs = this.acceptQueue.standing() ? this.acceptWaitMs : 0
    this.share = nextShedShare(this.share, { utilisation, stallMs: sustainedStallMs, acceptWaitMs }, this.limits.maxEventLoopDelayMs)
  }
}
