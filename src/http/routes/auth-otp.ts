// Auth routes beyond passwords: request-otp, auth-with-otp, and the TOTP second factor (totp/*, auth-with-totp).
import type { FastifyPluginAsync } from 'fastify'
import type { App } from '../../app.ts'
import { badRequest } from '../../core/errors.ts'
import { pickFields, parseFields } from '../../core/records/fields-picker.ts'
import { requestInfo } from '../context.ts'

type Params = { collection: string }
type Query = Record<string, string | undefined>

export const authFactorRoutes: FastifyPluginAsync<{ app: App }> = async (f, { app }) => {
  const { otp, totp } = app
  const base = '/api/collections/:collection'
  const pick = (q: Query, value: unknown) => pickFields(value, parseFields(q.fields))
  const body = (raw: unknown) => {
    if (raw && typeof raw === 'object' && !Array.isArray(raw)) return raw as Record<string, unknown>
    if (raw === undefined || raw === null) return {}
    throw badRequest('The request body must be an object.')
  }
  const collection = (req: { params: unknown }) => app.auth.authCollection((req.params as Params).collection)

  f.post(`${base}/request-otp`, async (req) => pick(req.query as Query, await otp.request(collection(req), body(req.body))))

  f.post(`${base}/auth-with-otp`, async (req) => {
    const q = req.query as Query
    return pick(q, await otp.authWithOtp(collection(req), body(req.body), { expand: q.expand }, requestInfo(req)))
  })

  f.get(`${base}/totp`, async (req) => totp.status(collection(req), requestInfo(req)))

  // The secret and the recovery codes are shown exactly once; no cache may keep a copy (ASVS 14.3.2).
  f.post(`${base}/totp/enroll`, async (req, reply) => {
    reply.header('cache-control', 'no-store')
    return totp.enroll(collection(req), requestInfo(req))
  })

  f.post(`${base}/totp/verify`, async (req, reply) => {
    reply.header('cache-control', 'no-store')
    return totp.verify(collection(req), requestInfo(req), body(req.body))
  })

  f.post(`${base}/totp/disable`, async (req, reply) => {
    await totp.disable(collection(req), requestInfo(req), body(req.body))
    return reply.status(204).send()
  })

  f.post(`${base}/auth-with-totp`, async (req) => {
    const q = req.query as Query
    return pick(q, await totp.authWithTotp(collection(req), body(req.body), { expand: q.expand }, requestInfo(req)))
  })
}
