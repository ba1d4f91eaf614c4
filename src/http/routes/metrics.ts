// GET /api/metrics: Prometheus text format, for superusers or the configured scrape token (BASALT_METRICS_TOKEN).
import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyPluginAsync } from 'fastify'
import type { App } from '../../app.ts'
import { requireSuperuser } from '../context.ts'

/** Constant-time comparison; hashing first makes the inputs equal-length, so the length does not leak either. */
export function tokenMatches(expected: string | null, given: string | null): boolean {
  if (!expected || !given) return false
  const digest = (s: string) => createHash('sha256').update(s).digest()
  return timingSafeEqual(digest(expected), digest(given))
}

export const metricsRoutes: FastifyPluginAsync<{ app: App }> = async (f, { app }) => {
  f.get('/api/metrics', async (req, reply) => {
    // req.token is the Authorization header without its `Bearer ` prefix (src/http/context.ts).
    if (!tokenMatches(app.config.metricsToken, req.token)) requireSuperuser(req)
    const { contentType, body } = await app.metrics.render()
    return reply.header('content-type', contentType).header('cache-control', 'no-store').send(body)
  })
}
