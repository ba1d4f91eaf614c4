// File download route: GET/HEAD /api/files/:collection/:record/:filename (?thumb, ?download), public or rule-guarded.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import type { App } from '../../app.ts'
import type { Collection } from '../../core/collections/types.ts'
import { notFound } from '../../core/errors.ts'
import { parseBoolParam } from '../../core/records/list-query.ts'
import { loadRecord } from '../../core/records/record-io.ts'
import { fileFieldOf, filePolicy, type FilePolicy } from '../../files/file-access.ts'
import { isValidStoredName } from '../../files/names.ts'
import { fileKey } from '../../files/storage.ts'
import { servableThumb, Thumbnailer } from '../../files/thumbs.ts'
import type { RequestInfo } from '../../rules/request-info.ts'
import { requestInfo } from '../context.ts'
import { withResponder } from '../../core/hooks/registry.ts'
import { RecordModel } from '../../core/records/record-model.ts'
import { sendStoredFile } from '../file-response.ts'
import { authenticateFileToken } from '../../auth/file-token.ts'

type Params = { collection: string; record: string; filename: string }
type Query = Record<string, string | undefined>

/**
 * The caller as the access check sees it. For a protected file this is the request's own auth;
 * a file token (`?token=`, POST /api/files/token) replaces it here when present.
 */
async function fileCaller(app: App, req: FastifyRequest): Promise<RequestInfo> {
  const info = requestInfo(req, 'protectedFile')
  const fileAuth = await authenticateFileToken(app.auth, (req.query as Query).token)
  return fileAuth ? { ...info, auth: fileAuth } : info
}

/** Whether the caller may read the record's files under `policy` (view rule in the protectedFile context). */
async function mayRead(app: App, req: FastifyRequest, c: Collection, recordId: string, policy: FilePolicy): Promise<boolean> {
  if (!policy.needsAuth && !policy.needsViewRule) return true
  const info = await fileCaller(app, req)
  if (policy.needsAuth && !info.auth) return false
  return !!(await app.records.viewRaw(c, recordId, info))
}

export const fileRoutes: FastifyPluginAsync<{ app: App }> = async (f, { app }) => {
  const thumbs = new Thumbnailer(() => app.files, (e) => {
    app.logger.warn(`files: thumbnail failed, serving the original: ${(e as Error).message}`)
  })

  f.get('/api/files/:collection/:record/:filename', async (req, reply) => {
    const { collection, record, filename } = req.params as Params
    const query = req.query as Query
    const c = app.collections.find(collection)
    if (!c || !isValidStoredName(filename) || !/^\w+$/.test(record)) throw notFound()
    // Every failure is the same 404, so a guest cannot tell a missing file from a forbidden one.
    const rec = await loadRecord(app.store, c, record, app.store.dialect)
    const field = rec && fileFieldOf(c, rec, filename)
    if (!field) throw notFound()
    const policy = filePolicy(c, field)
    if (!(await mayRead(app, req, c, record, policy))) throw notFound()

    const key = fileKey(c.id, record, filename)
    const thumb = servableThumb(field, filename, query.thumb)
    const served = thumb ? await thumbs.resolve(key, thumb) : key
    const send = (servedName: string) => sendStoredFile(app.files, served, req, reply, {
      name: servedName, download: parseBoolParam(query.download, 'download'), cacheControl: policy.cacheControl,
    })
    const servedName = served === key ? filename : `${thumb}_${filename}`
    if (!app.hooks.onFileDownloadRequest.has([c.id, c.name])) return send(servedName)
    // onFileDownloadRequest may refuse (throw), rename the download, or answer itself with e.json().
    const e = withResponder({ collection: c, record: new RecordModel(c, rec, rec), fileField: field.name, servedName, requestInfo: requestInfo(req), auth: req.auth })
    let out: unknown
    await app.hooks.onFileDownloadRequest.trigger(e, async () => { out = await send(e.servedName) }, [c.id, c.name])
    if (e.response) return reply.status(e.response.status).send(e.response.body)
    return out
  })
}
