// POST /api/collections/:collection/impersonate/:id — superusers get a non-refreshable token of any auth record; audited.
import type { FastifyPluginAsync } from 'fastify'
import type { App } from '../../app.ts'
import { writeAudit } from '../../auth/audit.ts'
import { badRequest, fieldError, notFound } from '../../core/errors.ts'
import { loadRecord } from '../../core/records/record-io.ts'
import { parseFields, pickFields } from '../../core/records/fields-picker.ts'
import { requestInfo, requireSuperuser } from '../context.ts'
import { ErrorCode } from '../../core/error-codes.ts'

type Params = { collection: string; id: string }
type Query = Record<string, string | undefined>

/**
 * Upper bound for `duration` (30 days): an impersonation token cannot be revoked short of rotating the
 * record's tokenKey, so a leaked one must not live for years.
 */
export const MAX_IMPERSONATE_SECONDS = 30 * 24 * 60 * 60

function durationOf(raw: unknown): number {
  const body = raw && typeof raw === 'object' && !Array.isArray(raw) ? raw as Record<string, unknown> : {}
  const d = body.duration ?? 0
  if (typeof d !== 'number' || !Number.isInteger(d)) {
    throw badRequest('An error occurred while validating the submitted data.', { duration: fieldError(ErrorCode.invalidValue, 'Must be a whole number of seconds.') })
  }
  if (d < 0) throw badRequest('An error occurred while validating the submitted data.', { duration: fieldError(ErrorCode.minGreaterEqualThanRequired, 'Must be no less than 0.', { min: 0 }) })
  if (d > MAX_IMPERSONATE_SECONDS) {
    throw badRequest('An error occurred while validating the submitted data.', {
      duration: fieldError(ErrorCode.maxLessEqualThanRequired, `Must be no greater than ${MAX_IMPERSONATE_SECONDS}.`, { max: MAX_IMPERSONATE_SECONDS }),
    })
  }
  return d
}

export const impersonateRoutes: FastifyPluginAsync<{ app: App }> = async (f, { app }) => {
  f.post('/api/collections/:collection/impersonate/:id', async (req) => {
    // Checked first: guests get 401 and other records 403 before anything about the target is revealed.
    requireSuperuser(req)
    const c = app.auth.authCollection((req.params as Params).collection)
    const record = await loadRecord(app.store, c, (req.params as Params).id, app.store.dialect)
    if (!record) throw notFound()
    const duration = durationOf(req.body)
    const q = req.query as Query
    // 0 → the collection's authToken.duration. Non-refreshable: auth-refresh hands the same token back.
    const token = await app.auth.issueAuthToken(c, record, { refreshable: false, durationSeconds: duration })
    const actor = req.auth!
    const entry = await writeAudit(app.store, app.clock, {
      action: 'impersonate', actorCollection: actor.collection.id, actorId: String(actor.record.id),
      targetCollection: c.id, targetId: String(record.id), ip: req.clientIp || req.ip,
    })
    req.log.warn({ audit: entry }, 'superuser impersonation')
    // Presented as the superuser sees it (PocketBase: superusers pass the authRule and see hidden fields).
    const ctx = app.records.readContext(requestInfo(req))
    const [exported] = await app.records.present(ctx, c, [record], { expand: q.expand }, { alwaysEmail: true })
    return pickFields({ token, record: exported }, parseFields(q.fields))
  })
}
