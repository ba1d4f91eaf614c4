// Email-flow routes: request/confirm verification, password reset and email change (all 204 on success).
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { App } from '../../app.ts'
import type { EmailFlows } from '../../auth/email-flows.ts'
import type { Collection } from '../../core/collections/types.ts'
import { badRequest } from '../../core/errors.ts'

type Params = { collection: string }
type Body = Record<string, unknown>

function objectBody(raw: unknown): Body {
  if (raw && typeof raw === 'object' && !Array.isArray(raw)) return raw as Body
  if (raw === undefined || raw === null) return {}
  throw badRequest('The request body must be an object.')
}

export const authEmailRoutes: FastifyPluginAsync<{ app: App }> = async (f, { app }) => {
  const flows = app.emailFlows
  const base = '/api/collections/:collection'
  // Let mails already accepted with a 204 go out before the store closes underneath them.
  f.addHook('onClose', async () => { await flows.idle() })

  const route = (action: string, run: (flows: EmailFlows, c: Collection, body: Body, req: FastifyRequest) => unknown) => {
    f.post(`${base}/${action}`, async (req: FastifyRequest, reply: FastifyReply) => {
      // Unknown or non-auth collection → 404 "Missing or invalid auth collection context." (PocketBase).
      const c = app.auth.authCollection((req.params as Params).collection)
      await run(flows, c, objectBody(req.body), req)
      return reply.status(204).send()
    })
  }

  route('request-verification', (fl, c, body) => fl.requestVerification(c, body))
  route('confirm-verification', (fl, c, body) => fl.confirmVerification(c, body))
  route('request-password-reset', (fl, c, body) => fl.requestPasswordReset(c, body))
  route('confirm-password-reset', (fl, c, body) => fl.confirmPasswordReset(c, body))
  // req.auth comes from the Authorization header and only ever accepts `type: "auth"` tokens.
  route('request-email-change', (fl, c, body, req) => fl.requestEmailChange(c, req.auth, body))
  route('confirm-email-change', (fl, c, body) => fl.confirmEmailChange(c, body))
  // The mails link to `{APP_URL}/_/#/auth/…` (PocketBase's dashboard routes): the dashboard (or, when it was not
  // built, the small link page) answers them — src/http/routes/ui-dashboard.ts.
}
