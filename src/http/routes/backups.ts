// Backup routes: list/create/upload/delete/restore (superusers) and download with a superuser file token.
import type { FastifyPluginAsync } from 'fastify'
import type { App } from '../../app.ts'
import { authenticateFileToken } from '../../auth/file-token.ts'
import { badRequest, fieldError, forbidden, notFound } from '../../core/errors.ts'
import { SUPERUSERS_NAME } from '../../core/collections/types.ts'
import { isBackupKey } from '../../backups/backup-storage.ts'
import { requireSuperuser } from '../context.ts'
import { ErrorCode } from '../../core/error-codes.ts'

type KeyParams = { key: string }

const superuserRoutes: FastifyPluginAsync<{ app: App }> = async (f, { app }) => {
  // preParsing: refused before the body is read (a guest cannot make the server buffer 2 MB first).
  f.addHook('preParsing', async (req) => requireSuperuser(req))

  f.get('/api/backups', async () => app.backups.list())

  f.post('/api/backups', async (req, reply) => {
    const body = req.body && typeof req.body === 'object' && !Array.isArray(req.body) ? req.body as Record<string, unknown> : {}
    await app.backups.create(body.name)
    return reply.status(204).send()
  })

  // Archives are larger than any record upload: the file is streamed to disk, not held in memory, with no size cap (as PocketBase).
  f.post('/api/backups/upload', async (req, reply) => {
    const required = badRequest('An error occurred while validating the submitted data.', { file: fieldError(ErrorCode.required, 'Cannot be blank.') })
    if (!req.isMultipart()) throw required
    let uploaded = false
    for await (const part of req.parts({ limits: { fileSize: Number.MAX_SAFE_INTEGER } })) {
      if (part.type !== 'file') continue
      if (part.fieldname !== 'file' || uploaded) { part.file.resume(); continue }
      uploaded = true
      await app.backups.upload(part.filename, part.file)
    }
    if (!uploaded) throw required
    return reply.status(204).send()
  })

  f.delete('/api/backups/:key', async (req, reply) => {
    await app.backups.delete((req.params as KeyParams).key)
    return reply.status(204).send()
  })

  f.post('/api/backups/:key/restore', async (req, reply) => {
    await app.backups.restore((req.params as KeyParams).key)
    return reply.status(204).send()
  })
}

export const backupRoutes: FastifyPluginAsync<{ app: App }> = async (f, { app }) => {
  await f.register(superuserRoutes, { app })

  // A download link must work in a plain browser tab, so it carries a superuser *file* token instead of a header.
  f.get('/api/backups/:key', async (req, reply) => {
    const auth = await authenticateFileToken(app.auth, (req.query as Record<string, string>).token)
    if (auth?.collection.name !== SUPERUSERS_NAME) throw forbidden('Insufficient permissions to access the resource.')
    const key = (req.params as KeyParams).key
    const file = isBackupKey(key) ? await app.backups.storage.get(key) : null
    if (!file) throw notFound()
    reply.headers({
      'content-type': 'application/zip',
      'content-disposition': `attachment; filename="${key}"`,
      'content-length': String(file.size),
      'cache-control': 'no-store',
    })
    return reply.send(file.stream)
  })
}
