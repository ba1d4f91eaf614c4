// Auth routes for auth collections: auth-methods, auth-with-password, auth-refresh (+ OTP/MFA/TOTP via auth-otp.ts).
import type { FastifyPluginAsync } from 'fastify'
import type { App } from '../../app.ts'
import { badRequest } from '../../core/errors.ts'
import { pickFields, parseFields } from '../../core/records/fields-picker.ts'
import { requestInfo } from '../context.ts'
import { authFactorRoutes } from './auth-otp.ts'

type Params = { collection: string }
type Query = Record<string, string | undefined>

export const authRoutes: FastifyPluginAsync<{ app: App }> = async (f, { app }) => {
  const base = '/api/collections/:collection'
  await f.register(authFactorRoutes, { app })
  // `fields` applies to the whole auth response (e.g. `fields=token,record.id`), `expand` to the record.
  const pick = (q: Query, value: unknown) => pickFields(value, parseFields(q.fields))
  const body = (raw: unknown) => {
    if (raw && typeof raw === 'object' && !Array.isArray(raw)) return raw as Record<string, unknown>
    if (raw === undefined || raw === null) return {}
    throw badRequest('The request body must be an object.')
  }

  f.get(`${base}/auth-methods`, async (req) => {
    const c = app.auth.authCollection((req.params as Params).collection)
    return pick(req.query as Query, await app.auth.authMethods(c))
  })

  f.post(`${base}/auth-with-password`, async (req) => {
    const c = app.auth.authCollection((req.params as Params).collection)
    const q = req.query as Query
    return pick(q, await app.auth.authWithPassword(c, body(req.body), { expand: q.expand }, requestInfo(req)))
  })

  f.post(`${base}/auth-refresh`, async (req) => {
    const c = app.auth.authCollection((req.params as Params).collection)
    const q = req.query as Query
    return pick(q, await app.auth.refresh(c, { expand: q.expand }, requestInfo(req), req.token))
  })
}
