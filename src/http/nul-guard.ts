// One rule for NUL (U+0000) on both stores: any request string that contains it is refused with a 400.
//
// PostgreSQL cannot store NUL in text or jsonb (it fails with a 500), SQLite stores it silently and
// truncates it in some functions. Rejecting (rather than stripping) keeps both stores identical and
// never changes a value behind the client's back. Uploaded file names are the exception: they are
// rewritten anyway (src/files/names.ts drops control characters), so they are stripped, not refused.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { badRequest, fieldError, type ErrorData } from '../core/errors.ts'
import { findNul } from '../core/nul.ts'
import { ErrorCode } from '../core/error-codes.ts'

export const NUL_CODE = ErrorCode.invalidNul
const NUL_MESSAGE = 'Must not contain NUL (\\u0000) characters.'

/** Per-field 400 keyed by the top-level field (the SDK shows `data.<field>` next to that input). */
export function assertNoNul(body: unknown, what = 'The request body'): void {
  const path = findNul(body)
  if (path === null) return
  const field = path.split('.')[0].replace(/\u0000/g, '') || 'body'
  throw badRequest(`${what} contains a NUL (\\u0000) character, which is not allowed in text.`, { [field]: fieldError(NUL_CODE, NUL_MESSAGE) } as ErrorData)
}

/** `filter`/`sort` get the message their own errors use; other parameters a field error named after them. */
function assertQueryNoNul(query: Record<string, unknown>): void {
  const path = findNul(query)
  if (path === null) return
  const name = path.split('.')[0]
  if (name === 'filter') throw badRequest('Invalid filter: NUL (\\u0000) characters are not allowed.')
  if (name === 'sort') throw badRequest('Invalid sort: NUL (\\u0000) characters are not allowed.')
  throw badRequest(`The query parameter ${JSON.stringify(name.replace(/\u0000/g, '\\u0000'))} contains a NUL (\\u0000) character.`, { [name]: fieldError(NUL_CODE, NUL_MESSAGE) })
}

/**
 * Root-wide check of everything parsed before the handler runs: path parameters, the query string
 * and JSON/urlencoded/multipart-as-fields bodies (record uploads are checked in `readRecordInput`).
 * Headers need no check: Node's HTTP parser already refuses NUL in them.
 */
export function registerNulGuard(f: FastifyInstance): void {
  f.addHook('preValidation', async (req: FastifyRequest) => {
    if (findNul(req.params) !== null) throw badRequest('The request path contains a NUL (\\u0000) character.')
    if (req.query && typeof req.query === 'object') assertQueryNoNul(req.query as Record<string, unknown>)
    if (req.body && typeof req.body === 'object') assertNoNul(req.body)
  })
}
