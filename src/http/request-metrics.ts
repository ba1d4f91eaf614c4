// Root-wide request metrics: in-flight count and one latency observation per response (src/observability/metrics.ts).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { AppMetrics } from '../observability/metrics.ts'

declare module 'fastify' {
  interface FastifyRequest {
    /** Counted in `inFlight` and not yet released (a response or an abort releases it, once). */
    metricsInFlight: boolean
    /** The pattern of the custom route (app.routerAdd) that answered, for the route label. */
    metricsRoute: string | null
  }
}

/** The route label: the registered pattern (bounded), never the raw URL; static files, 501s and 404s share `other`. */
const routeLabel = (req: FastifyRequest): string => req.routeOptions.url ?? req.metricsRoute ?? 'other'

/** Realtime streams stay open for minutes: they are counted as realtime clients, not as requests in flight. */
const isStream = (req: FastifyRequest) => req.method === 'GET' && req.routeOptions.url === '/api/realtime'

export const requestMetrics = fp(async (f: FastifyInstance, { metrics }: { metrics: AppMetrics }) => {
  f.decorateRequest('metricsInFlight', false)
  f.decorateRequest('metricsRoute', null)
  const release = (req: FastifyRequest) => {
    if (!req.metricsInFlight) return
    req.metricsInFlight = false
    metrics.inFlight--
  }
  // Hot path: a counter bump here and one histogram observation per response, nothing else.
  f.addHook('onRequest', (req, _reply, done) => {
    if (!isStream(req)) {
      req.metricsInFlight = true
      metrics.inFlight++
    }
    done()
  })
  f.addHook('onResponse', (req, reply: FastifyReply, done) => {
    release(req)
    metrics.requestDuration.observe({ method: req.method, route: routeLabel(req), status: String(reply.statusCode) }, reply.elapsedTime / 1000)
    done()
  })
  // The client went away before the response: onResponse may never run for it.
  f.addHook('onRequestAbort', (req, done) => {
    release(req)
    done()
  })
})
