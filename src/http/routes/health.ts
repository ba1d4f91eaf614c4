// GET /api/health.
import type { FastifyPluginAsync } from 'fastify'
import type { App } from '../../app.ts'

export const healthRoutes: FastifyPluginAsync<{ app: App }> = async (f) => {
  f.get('/api/health', async () => ({ code: 200, message: 'API is healthy.', data: {} }))
}
