// Collection admin routes (superusers only): list, view, create, update, delete, truncate, import, scaffolds, dry-run-view.
import type { FastifyPluginAsync } from 'fastify'
import type { App } from '../../app.ts'
import { badRequest } from '../../core/errors.ts'
import { listCollectionIds } from '../../core/collections/collection-list.ts'
import { collectionToJson } from '../../core/collections/collection-json.ts'
import { parseListQuery } from '../../core/records/list-query.ts'
import { pickFields, parseFields } from '../../core/records/fields-picker.ts'
import { collectionScaffolds } from '../../core/collections/scaffolds.ts'
import { requireSuperuser } from '../context.ts'

type Params = { collection: string }
type Query = Record<string, string | undefined>

function objectBody(raw: unknown): Record<string, unknown> {
  if (raw && typeof raw === 'object' && !Array.isArray(raw)) return raw as Record<string, unknown>
  throw badRequest('The request body must be a JSON object.')
}

export const collectionRoutes: FastifyPluginAsync<{ app: App }> = async (f, { app }) => {
  // preParsing: refused before the body is read (a guest cannot make the server buffer 2 MB first).
  f.addHook('preParsing', async (req) => requireSuperuser(req))
  const pick = (q: Query, v: unknown) => pickFields(v, parseFields(q.fields))

  f.get('/api/collections', async (req) => {
    const q = parseListQuery(req.query as Query)
    await app.collections.reload() // another node may have changed the schema
    const { ids, total } = await listCollectionIds(app.store, q)
    const items = ids.map((id) => app.collections.find(id)).filter((c) => !!c).map((c) => pick(req.query as Query, collectionToJson(c!)))
    return { page: q.page, perPage: q.perPage, totalItems: total, totalPages: total < 0 ? -1 : Math.ceil(total / q.perPage), items }
  })

  f.put('/api/collections/import', async (req, reply) => {
    const body = objectBody(req.body)
    await app.collections.importCollections(body.collections, body.deleteMissing === true)
    return reply.status(204).send()
  })

  f.get('/api/collections/meta/scaffolds', async () => collectionScaffolds())

  f.post('/api/collections/meta/dry-run-view', async (req) => app.collections.dryRunView(objectBody(req.body).query))

  f.get('/api/collections/:collection', async (req) =>
    pick(req.query as Query, collectionToJson(app.collections.get((req.params as Params).collection))))

  f.post('/api/collections', async (req) =>
    pick(req.query as Query, collectionToJson(await app.collections.create(objectBody(req.body)))))

  f.patch('/api/collections/:collection', async (req) =>
    pick(req.query as Query, collectionToJson(await app.collections.update((req.params as Params).collection, objectBody(req.body)))))

  f.delete('/api/collections/:collection', async (req, reply) => {
    await app.collections.delete((req.params as Params).collection)
    return reply.status(204).send()
  })

  f.delete('/api/collections/:collection/truncate', async (req, reply) => {
    await app.truncate((req.params as Params).collection)
    return reply.status(204).send()
  })
}
