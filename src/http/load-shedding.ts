// Load shedding: once too many requests are in flight, or the event loop lags too far behind, new
// requests are refused at once with 503 + Retry-After — cheap to answer, so an overloaded node keeps
// serving the requests it accepted within their deadlines instead of queueing without bound.
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks'
import type { FastifyInstance } from 'fastify'

export interface SheddingLimits {
  /** Requests being processed at once (realtime streams not counted); 0 = no limit. */
  maxInFlight: number
  /** Event-loop delay (the longest stall in the last second) above which new requests are refused; 0 = off. */
  maxEventLoopDelayMs: number
}

export const SHED_BODY = { status: 503, message: 'The server is overloaded; retry the request shortly.', data: {} }

/**
 * Paths never shed: health checks (a load balancer must see the node is alive but busy — it answers),
 * realtime (long-lived streams are not requests in flight), and the superuser-only admin API, so an
 * operator can still act on an overloaded node (non-superusers are refused there before any work).
 */
const EXEMPT = /^\/api\/(health|metrics|realtime|settings|logs|backups|jobs|crons|workflows|webhooks|sql)(\/|\?|$)|^\/api\/collections\/_superusers\/auth-with-password(\?|$)/

export function isExempt(url: string): boolean {
  return EXEMPT.test(url)
}

export class LoadShedder {
  inFlight = 0
  shed = 0
  private delayMs = 0
  private readonly histogram: IntervalHistogram | null = null
  private readonly timer: NodeJS.Timeout | null = null

  constructor(private readonly limits: SheddingLimits) {
    if (limits.maxEventLoopDelayMs > 0) {
      this.histogram = monitorEventLoopDelay({ resolution: 20 })
      this.histogram.enable()
      this.timer = setInterval(() => this.sample(), 1000)
      this.timer.unref()
    }
  }

  /** Why a new request would be refused now, or null. */
  reason(): 'in-flight' | 'event-loop' | null {
    if (this.limits.maxInFlight > 0 && this.inFlight >= this.limits.maxInFlight) return 'in-flight'
    if (this.limits.maxEventLoopDelayMs > 0 && this.delayMs > this.limits.maxEventLoopDelayMs) return 'event-loop'
    return null
  }

  close(): void {
    if (this.timer) clearInterval(this.timer)
    this.histogram?.disable()
  }

  private sample(): void {
    const h = this.histogram!
    this.delayMs = h.count ? h.max / 1e6 : 0
    h.reset()
  }
}

/** First onRequest hook: count requests in flight and refuse new ones past the limits. */
export function registerLoadShedding(f: FastifyInstance, shedder: LoadShedder): void {
  f.addHook('onRequest', async (req, reply) => {
    if (isExempt(req.url)) return
    if (shedder.reason()) {
      shedder.shed++
      return reply.status(503).header('retry-after', '1').send(SHED_BODY)
    }
    shedder.inFlight++
    // 'close' fires once per response, also for aborted requests (onResponse would miss those).
    reply.raw.once('close', () => { shedder.inFlight-- })
  })
  f.addHook('onClose', async () => shedder.close())
}
