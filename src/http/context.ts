// Per-request context: resolves the Authorization token and builds the RequestInfo that rules read.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { App } from '../app.ts'
import { tokenFromHeader } from '../auth/tokens.ts'
import type { AuthInfo, RequestContext, RequestInfo } from '../rules/request-info.ts'
import { forbidden, unauthorized } from '../core/errors.ts'
import { isSuperuser } from '../rules/request-info.ts'
import { applyCookieSession } from './routes/auth-sessions.ts'

declare module 'fastify' {
  interface FastifyRequest {
    auth: AuthInfo | null
    token: string | null
  }
}

export function normalizeHeaderName(name: string): string {
  return name.toLowerCase().replace(/-/g, '_')
}

function firstValues(source: Record<string, unknown>, normalize = (k: string) => k): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(source)) {
    const first = Array.isArray(v) ? v[0] : v
    if (first !== undefined && first !== null) out[normalize(k)] = String(first)
  }
  return out
}

export function requestInfo(req: FastifyRequest, context: RequestContext = 'default', body: Record<string, unknown> = {}): RequestInfo {
  return {
    auth: req.auth,
    method: req.method,
    context,
    query: firstValues(req.query as Record<string, unknown>),
    headers: firstValues(req.headers as Record<string, unknown>, normalizeHeaderName),
    body,
    ip: req.clientIp,
  }
}

export function requireSuperuser(req: FastifyRequest) {
  if (!req.auth) throw unauthorized('The request requires valid record authorization token.')
  if (!isSuperuser(requestInfo(req))) throw forbidden('The authorized record is not allowed to perform this action.')
}

/** Root-wide: every request gets `req.auth` (null = guest; an invalid token is never an error). */
export const authContext = fp(async (f: FastifyInstance, { app }: { app: App }) => {
  f.decorateRequest('auth', null)
  f.decorateRequest('token', null)
  f.decorateRequest('cookieSession', null)
  f.addHook('onRequest', async (req) => {
    const header = req.headers.authorization
    req.token = tokenFromHeader(typeof header === 'string' ? header : undefined)
    req.auth = await app.auth.authenticate(req.token)
    // Basalt cookie sessions (docs/sessions.md): only when no Authorization header is sent; may throw 403 (CSRF).
    if (header === undefined) await applyCookieSession(app, req)
  })
})
