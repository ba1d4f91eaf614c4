// Cron routes (superusers only), PocketBase's shapes: GET /api/crons, POST /api/crons/:id (run now).
import type { FastifyPluginAsync } from 'fastify'
import type { App } from '../../app.ts'
import { notFound } from '../../core/errors.ts'
import { requireSuperuser } from '../context.ts'

export const cronRoutes: FastifyPluginAsync<{ app: App }> = async (f, { app }) => {
  // preParsing: refused before the body is read (a guest cannot make the server buffer 2 MB first).
  f.addHook('preParsing', async (req) => requireSuperuser(req))

  f.get('/api/crons', async () => app.cron.list())

  // Like PocketBase: fire and forget on this node, 204 at once.
  f.post<{ Params: { id: string } }>('/api/crons/:id', async (req, reply) => {
    if (!app.cron.runNow(req.params.id)) throw notFound('Missing or invalid cron job.')
    return reply.status(204).send()
  })
}
