// Realtime routes: GET /api/realtime opens the SSE stream, POST /api/realtime sets subscriptions.
import { corsHeaders } from '../cors.ts'
import type { FastifyPluginAsync } from 'fastify'
import type { App } from '../../app.ts'
import { openSseStream } from '../../realtime/index.ts'
import { withResponder } from '../../core/hooks/registry.ts'
import { requestInfo } from '../context.ts'
import { PerKeyCounter } from '../limits.ts'
import { ApiError } from '../../core/errors.ts'

export const realtimeRoutes: FastifyPluginAsync<{ app: App }> = async (f, { app }) => {
  // Streams are long-lived: one address must not take every slot (BASALT_MAX_REALTIME_PER_IP).
  const streamsPerIp = new PerKeyCounter(app.config.http.maxRealtimePerIp)
  f.get('/api/realtime', async (req, reply) => {
    const open = async () => {
      const ip = req.clientIp
      if (!streamsPerIp.tryAcquire(ip)) throw new ApiError(429, 'Too many realtime connections from your address.')
      reply.raw.once('close', () => streamsPerIp.release(ip))
      reply.hijack()
      // CORS and security headers are not added by hooks to a hijacked reply.
      for (const [name, value] of Object.entries(corsHeaders(app.config.corsOrigins, req.headers.origin))) reply.raw.setHeader(name, value)
      reply.raw.setHeader('X-Content-Type-Options', 'nosniff')
      openSseStream(req.raw, reply.raw, app.hub, req.clientIp)
    }
    // onRealtimeConnectRequest may refuse the connection (throw) before the stream opens.
    if (!app.hooks.onRealtimeConnectRequest.length) return open()
    await app.hooks.onRealtimeConnectRequest.trigger(withResponder({ clientId: '', requestInfo: requestInfo(req, 'realtime'), auth: req.auth }), open)
  })

  f.post('/api/realtime', async (req, reply) => {
    const body = (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, unknown>
    // Rules on `@request.headers.*` see the headers of this request, never a topic's options.headers.
    const { headers } = requestInfo(req)
    // Behind a per-request load balancer the stream may live on another node: relay to its owner
    // (Redis clusters only), which applies the same checks; the client's own IP travels along.
    if (app.realtimeForward && typeof body.clientId === 'string' && !app.hub.get(body.clientId)) {
      await app.realtimeForward.setSubscriptions(body.clientId, body.subscriptions ?? [], req.auth, req.clientIp, headers)
      return reply.status(204).send()
    }
    if (!app.hooks.onRealtimeSubscribeRequest.length) {
      app.hub.setSubscriptions(body.clientId, body.subscriptions ?? [], req.auth, req.clientIp, headers)
      return reply.status(204).send()
    }
    // onRealtimeSubscribeRequest may change `e.subscriptions` or refuse (throw) before they apply.
    const subs = Array.isArray(body.subscriptions) ? body.subscriptions.filter((x): x is string => typeof x === 'string') : []
    const e = withResponder({ clientId: String(body.clientId ?? ''), subscriptions: subs, requestInfo: requestInfo(req, 'realtime'), auth: req.auth })
    await app.hooks.onRealtimeSubscribeRequest.trigger(e, async () => { app.hub.setSubscriptions(body.clientId, e.subscriptions, req.auth, req.clientIp, headers) })
    return reply.status(204).send()
  })
}
