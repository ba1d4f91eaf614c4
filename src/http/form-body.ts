// multipart/form-data bodies become plain `req.body` objects wherever JSON is accepted (as PocketBase does).
//
// Tools like pocketbase-typegen log in with a multipart form; without this, `req.body` is undefined for
// every route but record writes and the login answers a misleading "Cannot be blank". Routes that read
// uploads themselves (record create/update, and the PocketBase endpoints that take files) are left alone.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { ApiError, badRequest, tooLarge } from '../core/errors.ts'
import { addFormValue, inferFormValue, safeJsonParse, assertJsonDepth } from './body.ts'
import { unwritableReason } from '../store/storage-errors.ts'

/** Route URLs (as registered) whose handlers stream the multipart body themselves. */
const RAW_MULTIPART_ROUTES = new Set([
  '/api/collections/:collection/records',
  '/api/collections/:collection/records/:id',
  '/api/backups/upload',
  '/api/batch',
])

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The handler reads `req.parts()` itself: the multipart body is not turned into `req.body`. */
    rawMultipart?: boolean
  }
}

function readsRawMultipart(req: FastifyRequest): boolean {
  return RAW_MULTIPART_ROUTES.has(req.routeOptions.url ?? '') || req.routeOptions.config?.rawMultipart === true
}

/** Text fields only, bounded by `maxBytes` in total; file parts are drained and ignored. */
export async function readFormFields(req: FastifyRequest, maxBytes: number): Promise<Record<string, unknown>> {
  const body: Record<string, unknown> = {}
  let total = 0
  try {
    for await (const part of req.parts()) {
      if (part.type === 'file') {
        part.file.resume()
        continue
      }
      const text = String(part.value)
      total += text.length
      if (total > maxBytes) throw tooLarge()
      if (part.fieldname !== '@jsonPayload') {
        addFormValue(body, part.fieldname, inferFormValue(text))
        continue
      }
      let payload: unknown
      try { payload = safeJsonParse(text) } catch { throw badRequest('Invalid @jsonPayload.') }
      assertJsonDepth(payload)
      if (payload && typeof payload === 'object' && !Array.isArray(payload)) Object.assign(body, payload)
    }
  } catch (err) {
    if (err instanceof ApiError || typeof (err as { statusCode?: unknown }).statusCode === 'number') throw err
    if (unwritableReason(err)) throw err // disk full while spooling: the error handler's 507, not a client error
    throw badRequest('Invalid multipart body.', {}, err)
  }
  return body
}

export function registerFormBodies(f: FastifyInstance, maxBytes: number): void {
  f.addHook('preValidation', async (req) => {
    if (req.body !== undefined || !req.isMultipart() || readsRawMultipart(req)) return
    req.body = await readFormFields(req, maxBytes)
  })
}
