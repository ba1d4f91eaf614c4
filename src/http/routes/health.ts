// GET /api/health (superusers also get canBackup, realIP and possibleProxyHeader, as in PocketBase).
import type { FastifyPluginAsync } from 'fastify'
import type { App } from '../../app.ts'
import { SUPERUSERS_NAME } from '../../core/collections/types.ts'

/** Headers that suggest a proxy in front while no trustedProxy header is configured. */
const PROXY_HEADERS = ['cf-connecting-ip', 'fly-client-ip', 'x-real-ip', 'x-forwarded-for']

export const healthRoutes: FastifyPluginAsync<{ app: App }> = async (f, { app }) => {
  f.get('/api/health', async (req, reply) => {
    // A node that cannot write must leave the load balancer's pool: 503, whoever asks.
    const { canWrite, reason } = app.writeHealth.status()
    if (!canWrite) {
      return reply.status(503).header('retry-after', '30')
        .send({ code: 503, message: `API is unhealthy: the store cannot be written (${reason}).`, data: { canWrite } })
    }
    if (req.auth?.collection.name !== SUPERUSERS_NAME) return { code: 200, message: 'API is healthy.', data: {} }
    const trusted = (await app.settings.get()).trustedProxy.headers
    const possibleProxyHeader = trusted.length ? '' : PROXY_HEADERS.find((h) => req.headers[h] !== undefined) ?? ''
    return { code: 200, message: 'API is healthy.', data: { canBackup: app.backups.canBackup, canWrite, realIP: req.clientIp, possibleProxyHeader } }
  })
}
