// One error handler: ApiError → PocketBase's {status, message, data}; anything else → a 500 that leaks nothing.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { ApiError } from '../core/errors.ts'
import { isConnectionError } from '../store/postgres-store.ts'
import { unwritableReason } from '../store/storage-errors.ts'

const ACCEPTED_TYPES = 'application/json, multipart/form-data or application/x-www-form-urlencoded'

/** PostgreSQL refusing a NUL in text (22021) or jsonb (22P05): a client error the NUL guard missed, never a 500. */
function isNulRejection(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code
  if (code !== '22021' && code !== '22P05') return false
  return /0x00|\\u0000/.test(`${(err as Error).message} ${(err as { detail?: unknown }).detail ?? ''}`)
}

function fromFastifyError(err: FastifyError, req: FastifyRequest): ApiError | null {
  if (isNulRejection(err) || isNulRejection((err as { cause?: unknown }).cause)) {
    return new ApiError(400, 'Text values must not contain NUL (\\u0000) characters.', {}, { cause: err })
  }
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
    case 'FST_REQ_FILE_TOO_LARGE':
      return new ApiError(413, 'Request entity too large.')
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE': {
      const type = String(req.headers['content-type'] ?? '').split(';')[0].trim().slice(0, 100)
      return new ApiError(400, `Unsupported Content-Type ${JSON.stringify(type)}: send ${ACCEPTED_TYPES}.`)
    }
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return new ApiError(400, 'Invalid request body.')
  }
  if (err.statusCode === 413) return new ApiError(413, 'Request entity too large.')
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) return new ApiError(400, 'Invalid request.')
  return null
}

/**
 * Fastify's `frameworkErrors` (malformed URL encoding, over-long path params): answered in PocketBase's
 * shape, instead of Fastify's own body that names the framework (`FST_ERR_BAD_URL`) and echoes the path.
 */
export function frameworkErrorHandler(_err: FastifyError, _req: FastifyRequest, reply: FastifyReply) {
  void reply.status(400).header('x-content-type-options', 'nosniff').send(new ApiError(400, 'Invalid request.').toJSON())
}

/** Told when a request failed because the store cannot be written, so /api/health can say so. */
export type OnUnwritable = (reason: string) => void

export function registerErrorHandler(f: FastifyInstance, onUnwritable: OnUnwritable = () => {}) {
  f.setErrorHandler((err: FastifyError, req, reply) => {
    // `throw null` / `throw 'text'` must not crash the handler into Fastify's default (message-echoing) one.
    const api = err instanceof ApiError ? err : err !== null && typeof err === 'object' ? fromFastifyError(err, req) : null
    if (api) {
      if (api.status >= 500) req.log.error({ err: api.cause ?? api }, 'request failed')
      return reply.status(api.status).send(api.toJSON())
    }
    // The database is unreachable right now: a retryable 503, not a 500 (and never a hang).
    if (isConnectionError(err) || isConnectionError((err as { cause?: unknown })?.cause)) {
      req.log.warn({ err }, 'database unavailable')
      return reply.status(503).header('retry-after', '1').send(new ApiError(503).toJSON())
    }
    // Disk full / read-only store: say so (507, retry later), not a generic 500; health turns 503.
    const unwritable = unwritableReason(err)
    if (unwritable) {
      req.log.error({ err }, `store unwritable: ${unwritable}`)
      onUnwritable(unwritable)
      return reply.status(507).header('retry-after', '30').send(new ApiError(507, `The server cannot store data right now (${unwritable}). Try again later.`).toJSON())
    }
    req.log.error({ err }, 'unexpected error')
    return reply.status(500).send(new ApiError(500).toJSON())
  })
}
