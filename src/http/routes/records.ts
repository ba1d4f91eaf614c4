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

const RECORD_ID = /^[\w-]{1,255}$/

/** The `:id` path parameter; anything that cannot be a record id is simply not found. */
function recordId(req: FastifyRequest): string {
  const id = (req.params as Params).id
  if (!RECORD_ID.test(id)) throw notFound()
  return id
}

export const recordRoutes: FastifyPluginAsync<{ app: App }> = async (f, { app }) => {
  const base = '/api/collections/:collection/records'
  const readQuery = (q: Query) => ({ expand: q.expand, fields: q.fields })

  f.get(base, async (req) => app.records.list(collectionOf(app, req), parseListQuery(req.query as Query), requestInfo(req)))

  f.get(`${base}/:id`, async (req) =>
    app.records.view(collectionOf(app, req), recordId(req), readQuery(req.query as Query), requestInfo(req)))

  f.post(base, async (req) => {
    const c = collectionOf(app, req)
    const input = await readRecordInput(req, app.config.multipartBodyLimit)
    return app.records.create(c, input, readQuery(req.query as Query), requestInfo(req))
  })

  f.patch(`${base}/:id`, async (req) => {
    const c = collectionOf(app, req)
    const input = await readRecordInput(req, app.config.multipartBodyLimit)
    return app.records.update(c, recordId(req), input, readQuery(req.query as Query), requestInfo(req))
  })

  f.delete(`${base}/:id`, async (req, reply) => {
    const answered = await app.records.delete(collectionOf(app, req), recordId(req), requestInfo(req))
    return answered ?? reply.status(204).send()
  })
}
