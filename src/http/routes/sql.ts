// POST /api/sql: the superuser SQL console (core/sql-console.ts).
import type { FastifyPluginAsync } from 'fastify'
import type { App } from '../../app.ts'
import { badRequest } from '../../core/errors.ts'
import { runSql } from '../../core/sql-console.ts'
import { requireSuperuser } from '../context.ts'

export const sqlRoutes: FastifyPluginAsync<{ app: App }> = async (f, { app }) => {
  f.post('/api/sql', async (req) => {
    requireSuperuser(req)
    const body = req.body
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw badRequest('The request body must be a JSON object.')
    return runSql(app.store, body as Record<string, unknown>)
  })
}
