// Realtime routes: GET /api/realtime opens the SSE stream, POST /api/realtime sets subscriptions.
import type { FastifyPluginAsync } from 'fastify'
import type { App } from '../../app.ts'
import { openSseStream } from '../../realtime/index.ts'

export const realtimeRoutes: FastifyPluginAsync<{ app: App }> = async (f, { app }) => {
  f.get('/api/realtime', async (req, reply) => {
    reply.hijack()
    // CORS and security headers are not added by hooks to a hijacked reply.
    reply.raw.setHeader('Access-Control-Allow-Origin', '*')
    reply.raw.setHeader('X-Content-Type-Options', 'nosniff')
    openSseStream(req.raw, reply.raw, app.hub, req.clientIp)
  })

  f.post('/api/realtime', async (req, reply) => {
    const body = (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, unknown>
    // Behind a per-request load balancer the stream may live on another node: relay to its owner
    // (Redis clusters only), which applies the same checks; the client's own IP travels along.
    if (app.realtimeForward && typeof body.clientId === 'string' && !app.hub.get(body.clientId)) {
      await app.realtimeForward.setSubscriptions(body.clientId, body.subscriptions ?? [], req.auth, req.clientIp)
      return reply.status(204).send()
    }
    app.hub.setSubscriptions(body.clientId, body.subscriptions ?? [], req.auth, req.clientIp)
    return reply.status(204).send()
  })
}
