// File download route: GET /api/files/:collection/:record/:filename, guarded by the collection's viewRule.
import type { FastifyPluginAsync } from 'fastify'
import type { App } from '../../app.ts'
import { notFound } from '../../core/errors.ts'
import { fileResponseHeaders } from '../../files/serve.ts'
import { isValidStoredName } from '../../files/names.ts'
import { parseBoolParam } from '../../core/records/list-query.ts'
import { requestInfo } from '../context.ts'

type Params = { collection: string; record: string; filename: string }

export const fileRoutes: FastifyPluginAsync<{ app: App }> = async (f, { app }) => {
  f.get('/api/files/:collection/:record/:filename', async (req, reply) => {
    const { collection, record, filename } = req.params as Params
    const c = app.collections.find(collection)
    if (!c || !isValidStoredName(filename) || !/^\w+$/.test(record)) throw notFound()
    const rec = await app.records.viewRaw(c, record, requestInfo(req, 'protectedFile'))
    const owns = rec && c.fields.some((fl) => {
      if (fl.type !== 'file') return false
      const v = rec[fl.name]
      return Array.isArray(v) ? v.includes(filename) : v === filename
    })
    // Protected fields: served only to authenticated callers that pass the view rule (PocketBase also
    // accepts short-lived file tokens from POST /api/files/token, which Basalt does not issue yet).
    const protectedField = c.fields.some((fl) => fl.type === 'file' && fl.protected && (Array.isArray(rec?.[fl.name]) ? (rec![fl.name] as string[]).includes(filename) : rec?.[fl.name] === filename))
    if (!owns || (protectedField && !requestInfo(req).auth)) throw notFound()
    const file = await app.files.get(`${c.id}/${record}/${filename}`)
    if (!file) throw notFound()
    const download = parseBoolParam((req.query as Record<string, string>).download, 'download')
    reply.headers({ ...fileResponseHeaders(filename, { download }), 'Content-Length': String(file.size) })
    return reply.send(file.stream)
  })
}
