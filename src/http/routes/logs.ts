// Logs routes (superusers only): GET /api/logs, /api/logs/stats, /api/logs/:id, DELETE /api/logs.
import type { FastifyPluginAsync } from 'fastify'
import type { App } from '../../app.ts'
import { parseFields, pickFields } from '../../core/records/fields-picker.ts'
import { requestInfo, requireSuperuser } from '../context.ts'

type Query = Record<string, string | undefined>

export const logRoutes: FastifyPluginAsync<{ app: App }> = async (f, { app }) => {
  // preParsing: refused before the body is read (a guest cannot make the server buffer 2 MB first).
  f.addHook('preParsing', async (req) => requireSuperuser(req))
  const pick = (q: Query, v: unknown) => pickFields(v, parseFields(q.fields))

  f.get('/api/logs', async (req) => {
    const q = req.query as Query
    const page = await app.logs.query.list(q, requestInfo(req))
    // `fields` narrows each item, as on record lists.
    return { ...page, items: pick(q, page.items) }
  })

  f.get('/api/logs/stats', async (req) => {
    const q = req.query as Query
    return pick(q, await app.logs.query.stats(q.filter ?? '', requestInfo(req)))
  })

  f.get('/api/logs/:id', async (req) => {
    const q = req.query as Query
    return pick(q, await app.logs.query.view((req.params as { id: string }).id))
  })

  f.delete('/api/logs', async (_req, reply) => {
    await app.logs.query.truncate()
    return reply.status(204).send()
  })
}
