// Record CRUD routes: /api/collections/:collection/records[/:id].
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import type { App } from '../../app.ts'
import type { Collection } from '../../core/collections/types.ts'
import { notFound } from '../../core/errors.ts'
import { parseListQuery } from '../../core/records/list-query.ts'
import { maxFileSize } from '../../core/collections/fields/index.ts'
import { findNul } from '../../core/nul.ts'
import { readRecordInput, type MultipartOptions } from '../body.ts'
import { requestInfo } from '../context.ts'
import { removeSpooled, spoolDirOf, sweepStaleSpool } from '../upload-spool.ts'

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

/** Bodies below this are cheap to read: the rule query before the body is only worth it for larger ones. */
const SMALL_BODY = 64 * 1024

/** Whether the body may be large: multipart, chunked (length unknown) or over SMALL_BODY. */
function mayBeLarge(req: FastifyRequest): boolean {
  const length = Number(req.headers['content-length'] ?? NaN)
  return req.isMultipart() || !Number.isFinite(length) || length > SMALL_BODY
}

/** Multipart limits of a record write: the request limit, and each file part kept only up to its field's maxSize. */
function multipartOptions(app: App, c: Collection | null): MultipartOptions {
  return {
    maxBytes: app.config.multipartBodyLimit,
    spoolDir: spoolDirOf(app.config.dataDir),
    // `avatar`, `documents+`, `+documents`; a part naming no file field is not kept at all.
    maxFileSize: c ? (part) => {
      const f = c.fields.find((x) => x.name === part.replace(/^\+|\+$/g, ''))
      return f?.type === 'file' ? maxFileSize(f as never) : 0
    } : undefined,
  }
}

export const recordRoutes: FastifyPluginAsync<{ app: App }> = async (f, { app }) => {
  const base = '/api/collections/:collection/records'
  const readQuery = (q: Query) => ({ expand: q.expand, fields: q.fields })
  void sweepStaleSpool(spoolDirOf(app.config.dataDir))

  // Before the body is read (preParsing): a write its rule refuses is answered without buffering the
  // body, and the connection is closed after the answer (src/http/limits.ts).
  const refuseBeforeBody = (action: 'create' | 'update') => async (req: FastifyRequest) => {
    // A NUL in the path or query is the NUL guard's 400 (src/http/nul-guard.ts), decided after parsing.
    if (findNul(req.params) !== null || findNul(req.query) !== null) return
    const id = action === 'update' ? recordId(req) : null
    await app.records.refuseBeforeBody(collectionOf(app, req), action, id, requestInfo(req), mayBeLarge(req))
  }

  f.get(base, async (req) => app.records.list(collectionOf(app, req), parseListQuery(req.query as Query), requestInfo(req)))

  f.get(`${base}/:id`, async (req) =>
    app.records.view(collectionOf(app, req), recordId(req), readQuery(req.query as Query), requestInfo(req)))

  f.post(base, { preParsing: refuseBeforeBody('create') }, async (req) => {
    const c = collectionOf(app, req)
    const input = await readRecordInput(req, multipartOptions(app, c))
    try {
      return await app.records.create(c, input, readQuery(req.query as Query), requestInfo(req))
    } finally {
      await removeSpooled(input.files.values())
    }
  })

  f.patch(`${base}/:id`, { preParsing: refuseBeforeBody('update') }, async (req) => {
    const c = collectionOf(app, req)
    const input = await readRecordInput(req, multipartOptions(app, c))
    try {
      return await app.records.update(c, recordId(req), input, readQuery(req.query as Query), requestInfo(req))
    } finally {
      await removeSpooled(input.files.values())
    }
  })

  f.delete(`${base}/:id`, async (req, reply) => {
    const answered = await app.records.delete(collectionOf(app, req), recordId(req), requestInfo(req))
    return answered ?? reply.status(204).send()
  })
}
