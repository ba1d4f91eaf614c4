// Record CRUD routes: /api/collections/:collection/records[/:id].
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import type { App } from '../../app.ts'
import type { Collection } from '../../core/collections/types.ts'
import { notFound } from '../../core/errors.ts'
import { parseListQuery } from '../../core/records/list-query.ts'
import { readRecordInput } from '../body.ts'
import { requestInfo } from '../context.ts'

type Params = { collection: string; id: string }
type Query = Record<string, string | undefined>

export function collectionOf(app: App, req: FastifyRequest): Collection {
  const c = app.collections.find((req.params as Params).collection)
  if (!c) throw notFound('Missing collection context.')
  return c
}

export const recordRoutes: FastifyPluginAsync<{ app: App }> = async (f, { app }) => {
  const base = '/api/collections/:collection/records'
  const readQuery = (q: Query) => ({ expand: q.expand, fields: q.fields })

  f.get(base, async (req) => app.records.list(collectionOf(app, req), parseListQuery(req.query as Query), requestInfo(req)))

  f.get(`${base}/:id`, async (req) =>
    app.records.view(collectionOf(app, req), (req.params as Params).id, readQuery(req.query as Query), requestInfo(req)))

  f.post(base, async (req) => {
    const c = collectionOf(app, req)
    const input = await readRecordInput(req)
    return app.records.create(c, input, readQuery(req.query as Query), requestInfo(req))
  })

  f.patch(`${base}/:id`, async (req) => {
    const c = collectionOf(app, req)
    const input = await readRecordInput(req)
    return app.records.update(c, (req.params as Params).id, input, readQuery(req.query as Query), requestInfo(req))
  })

  f.delete(`${base}/:id`, async (req, reply) => {
    await app.records.delete(collectionOf(app, req), (req.params as Params).id, requestInfo(req))
    return reply.status(204).send()
  })
}
