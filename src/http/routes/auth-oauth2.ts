// OAuth2 routes: POST auth-with-oauth2, the popup relay GET|POST /api/oauth2-redirect (→ SSE `@oauth2`),
// and GET /api/collections/meta/oauth2-providers (superusers).
import { createHash } from 'node:crypto'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { App } from '../../app.ts'
import { providerCatalog } from '../../auth/oauth2/providers.ts'
import { badRequest } from '../../core/errors.ts'
import { pickFields, parseFields } from '../../core/records/fields-picker.ts'
import { requestInfo, requireSuperuser } from '../context.ts'

type Params = { collection: string }
type Query = Record<string, string | undefined>

export const OAUTH2_TOPIC = '@oauth2'
const MAX_PARAM = 4096

const CLOSE_SCRIPT = 'window.close()'
const SCRIPT_HASH = createHash('sha256').update(CLOSE_SCRIPT).digest('base64')

/** Static pages only (nothing from the request is echoed back): no reflected XSS by construction. */
function page(title: string, text: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head>` +
    `<body><p>${text}</p><script>${CLOSE_SCRIPT}</script></body></html>`
}
const SUCCESS = page('Authentication complete', 'Authentication complete. You can close this window and return to the app.')
const FAILURE = page('Authentication failed', 'Authentication failed. You can close this window and try again.')

function sendPage(reply: FastifyReply, ok: boolean) {
  return reply.status(ok ? 200 : 400).headers({
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer', // the URL holds the authorization code
    'content-security-policy': `default-src 'none'; script-src 'sha256-${SCRIPT_HASH}'; frame-ancestors 'none'`,
  }).send(ok ? SUCCESS : FAILURE)
}

/** Form bodies go through the multipart-style inference ("123" → 123), so scalars are turned back into text. */
const param = (v: unknown) => {
  const text = typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : ''
  return text.length <= MAX_PARAM ? text : ''
}

export const oauth2Routes: FastifyPluginAsync<{ app: App }> = async (f, { app }) => {
  const flow = app.oauth2

  f.post('/api/collections/:collection/auth-with-oauth2', async (req) => {
    const c = app.auth.authCollection((req.params as Params).collection)
    const q = req.query as Query
    const raw = req.body
    if (raw !== undefined && raw !== null && (typeof raw !== 'object' || Array.isArray(raw))) throw badRequest('The request body must be an object.')
    const body = (raw ?? {}) as Record<string, unknown>
    return pickFields(await flow.authenticate(c, body, { expand: q.expand }, requestInfo(req)), parseFields(q.fields))
  })

  /**
   * The provider sends the browser here with `state` = the SDK's realtime clientId (Apple POSTs a form).
   * The code is relayed only to that client, only if it is waiting (`@oauth2` subscription) and only
   * if it connected from the same IP: a guessed or leaked clientId from elsewhere gets nothing.
   */
  const relay = async (req: FastifyRequest, reply: FastifyReply) => {
    const src = (req.method === 'POST' ? req.body : req.query) as Record<string, unknown> | undefined
    const state = param(src?.state), code = param(src?.code), error = param(src?.error)
    const client = state ? app.hub.get(state) : undefined
    const data: Record<string, string> = { state, code }
    if (error) data.error = error
    // The stream may be on another node (no sticky sessions): its owner applies the same checks and order.
    if (!client && state && app.realtimeForward) {
      const sent = await app.realtimeForward.relayOnce(state, OAUTH2_TOPIC, JSON.stringify(data), req.clientIp)
      return sendPage(reply, sent && !error && !!code)
    }
    if (!client || !client.hasTopic(OAUTH2_TOPIC) || client.ip !== req.clientIp) return sendPage(reply, false)
    // Unsubscribed first: one redirect, one delivery (a replayed redirect URL finds no subscription).
    app.hub.unsubscribe(state, OAUTH2_TOPIC)
    const sent = app.hub.sendTo(state, OAUTH2_TOPIC, JSON.stringify(data))
    return sendPage(reply, sent && !error && !!code)
  }
  f.get('/api/oauth2-redirect', relay)
  f.post('/api/oauth2-redirect', relay)

  f.get('/api/collections/meta/oauth2-providers', async (req) => {
    requireSuperuser(req)
    return providerCatalog()
  })
}
