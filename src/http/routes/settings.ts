// Settings routes (superusers only): GET/PATCH /api/settings, POST /api/settings/test/email, /test/s3, /apple/generate-client-secret.
import type { FastifyPluginAsync } from 'fastify'
import type { App } from '../../app.ts'
import { badRequest } from '../../core/errors.ts'
import { parseFields, pickFields } from '../../core/records/fields-picker.ts'
import { publicSettings } from '../../settings/settings.ts'
import { checkS3, s3ConfigFor } from '../../files/s3-check.ts'
import { requireSuperuser } from '../context.ts'
import { generateAppleClientSecret } from '../../auth/oauth2/apple-secret.ts'
import { ErrorCode } from '../../core/error-codes.ts'

type Query = Record<string, string | undefined>

function objectBody(raw: unknown): Record<string, unknown> {
  if (raw && typeof raw === 'object' && !Array.isArray(raw)) return raw as Record<string, unknown>
  throw badRequest('The request body must be a JSON object.')
}

export const settingsRoutes: FastifyPluginAsync<{ app: App }> = async (f, { app }) => {
  // preParsing: refused before the body is read (a guest cannot make the server buffer 2 MB first).
  f.addHook('preParsing', async (req) => requireSuperuser(req))
  const pick = (q: Query, v: unknown) => pickFields(v, parseFields(q.fields))

  f.get('/api/settings', async (req) => pick(req.query as Query, publicSettings(await app.settings.get())))

  f.patch('/api/settings', async (req) => pick(req.query as Query, publicSettings(await app.settings.update(objectBody(req.body)))))

  f.post('/api/settings/test/email', async (req, reply) => {
    const body = objectBody(req.body)
    const to = body.email
    if (typeof to !== 'string' || !/^[^@\s]+@[^@\s]+$/.test(to)) throw badRequest('Invalid email.', { email: { code: ErrorCode.isEmail, message: 'Must be a valid email address.' } })
    const s = await app.settings.get()
    await app.mailer.send({ to, subject: `${s.meta.appName} test email`, html: `<p>This is a test email from ${s.meta.appName}.</p>` })
    return reply.status(204).send()
  })

  f.post('/api/settings/apple/generate-client-secret', async (req) => ({ secret: await generateAppleClientSecret(objectBody(req.body ?? {}), app.clock.now()) }))

  f.post('/api/settings/test/s3', async (req, reply) => {
    const body = objectBody(req.body ?? {})
    await checkS3(s3ConfigFor(await app.settings.get(), body.filesystem))
    return reply.status(204).send()
  })
}
