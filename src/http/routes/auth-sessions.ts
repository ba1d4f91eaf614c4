// Cookie-session endpoints (Basalt extension, docs/sessions.md) and the per-request cookie authentication
// + CSRF enforcement that src/http/context.ts runs when a request carries no Authorization header.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { App } from '../../app.ts'
import type { Collection } from '../../core/collections/types.ts'
import { badRequest, forbidden, unauthorized } from '../../core/errors.ts'
import { loadRecord } from '../../core/records/record-io.ts'
import { pickFields, parseFields } from '../../core/records/fields-picker.ts'
import { peekClaims } from '../../auth/tokens.ts'
import { cookieNames, cookieSessionOptions, type CookieSession, type IssuedSession } from '../../auth/sessions.ts'
import { isSameOrigin, parseCookies, serializeCookie, UNSAFE_METHODS, verifyCsrfToken } from '../../auth/csrf.ts'
import { requestInfo } from '../context.ts'

declare module 'fastify' {
  interface FastifyRequest {
    /** Set when `req.auth` came from the session cookie rather than an Authorization header. */
    cookieSession: CookieSession | null
  }
}

const BASE = '/api/collections/:collection'
const LOGIN = `${BASE}/cookie-session`
const REFRESH = `${BASE}/cookie-session/refresh`
/** These routes run their own Origin/CSRF checks (login has no session yet; refresh/logout may have an expired access cookie). */
const SELF_CHECKED = new Set([LOGIN, REFRESH])
/** A cookie session must never mint a long-lived bearer token (an XSS could exfiltrate it), so auth-refresh ignores cookies. */
const NO_COOKIE_AUTH = new Set([`${BASE}/auth-refresh`])

const refreshPath = (c: Collection) => `/api/collections/${c.name}/cookie-session`

async function assertSameOrigin(app: App, req: FastifyRequest, secure: boolean): Promise<void> {
  const { meta } = await app.settings.get()
  const ok = isSameOrigin({ origin: req.headers.origin, referer: req.headers.referer, host: req.host, protocol: req.protocol, appURL: meta.appURL, secure })
  if (!ok) throw forbidden('Cross-origin request refused: the Origin does not match the application.')
}

function assertCsrf(req: FastifyRequest, c: Collection, familyId: string, secure: boolean): void {
  const cookie = parseCookies(req.headers.cookie).get(cookieNames(secure).csrf)
  if (!verifyCsrfToken(c.auth!.authToken.secret, familyId, req.headers['x-csrf-token'], cookie)) {
    throw forbidden('Missing or invalid CSRF token (send the csrf cookie value in the X-CSRF-Token header).')
  }
}

/**
 * onRequest step for requests without an Authorization header (bearer clients are unaffected): the
 * session cookie may authenticate, and then every POST/PUT/PATCH/DELETE needs a same-origin Origin
 * and a valid X-CSRF-Token, else 403. An invalid cookie leaves the request a guest.
 */
export async function applyCookieSession(app: App, req: FastifyRequest): Promise<void> {
  const route = req.routeOptions.url
  if (route && NO_COOKIE_AUTH.has(route)) return
  const cookies = parseCookies(req.headers.cookie)
  let session: CookieSession | null = null
  for (const secure of [true, false]) {
    const token = cookies.get(cookieNames(secure).session)
    if (token && (session = await app.sessions.authenticate(token, secure))) break
  }
  if (!session) return
  if (UNSAFE_METHODS.has(req.method) && !(route && SELF_CHECKED.has(route))) {
    await assertSameOrigin(app, req, session.secure)
    assertCsrf(req, session.auth.collection, session.familyId, session.secure)
  }
  req.auth = session.auth
  req.cookieSession = session
}

function setSessionCookies(reply: FastifyReply, c: Collection, secure: boolean, s: IssuedSession | null): void {
  const n = cookieNames(secure)
  const clear = s === null
  reply.header('set-cookie', [
    serializeCookie(n.session, s?.access ?? '', { path: '/', maxAge: clear ? 0 : s.accessMaxAge, httpOnly: true, secure, sameSite: 'Lax' }),
    // Strict and path-scoped: only ever sent to this collection's cookie-session endpoints, never cross-site.
    serializeCookie(n.refresh, s?.refresh ?? '', { path: refreshPath(c), maxAge: clear ? 0 : s.refreshMaxAge, httpOnly: true, secure, sameSite: 'Strict' }),
    // Readable by the page's JS on purpose: it is echoed in X-CSRF-Token (double submit).
    serializeCookie(n.csrf, s?.csrf ?? '', { path: '/', maxAge: clear ? 0 : s.refreshMaxAge, httpOnly: false, secure, sameSite: 'Lax' }),
  ])
}

export const authSessionRoutes: FastifyPluginAsync<{ app: App }> = async (f, { app }) => {
  type Query = Record<string, string | undefined>
  const pick = (q: Query, value: unknown) => pickFields(value, parseFields(q.fields))
  const enabledCollection = (req: FastifyRequest) => {
    const c = app.auth.authCollection((req.params as { collection: string }).collection)
    const opts = cookieSessionOptions(c)
    if (!opts.enabled) throw forbidden('The collection is not configured to allow cookie sessions.')
    return { c, opts }
  }
  const body = (raw: unknown): Record<string, unknown> => {
    if (raw && typeof raw === 'object' && !Array.isArray(raw)) return raw as Record<string, unknown>
    if (raw === undefined || raw === null) return {}
    throw badRequest('The request body must be an object.')
  }

  // Login: {identity, password[, mfaId]} like auth-with-password (MFA applies: 401 {mfaId}), or exchange
  // a fresh bearer token of this collection (e.g. after OTP/OAuth2) sent in Authorization with no body.
  f.post(LOGIN, async (req, reply) => {
    const { c, opts } = enabledCollection(req)
    await assertSameOrigin(app, req, opts.secure)
    const q = req.query as Query
    let res: { record: unknown }, id: string
    if (req.headers.authorization !== undefined) {
      if (!req.auth || req.auth.collection.id !== c.id) throw unauthorized('The request requires valid record authorization token of this collection.')
      // Impersonation tokens are deliberately short and non-refreshable; a 30-day session would defeat that.
      if (peekClaims(req.token ?? '')?.refreshable === false) throw forbidden('Non-refreshable tokens cannot start a cookie session.')
      res = await app.auth.respond(c, req.auth.record, { expand: q.expand }, requestInfo(req), { token: '-' })
      id = String(req.auth.record.id)
    } else {
      res = await app.auth.authWithPassword(c, body(req.body), { expand: q.expand }, requestInfo(req, 'default', body(req.body)))
      id = String((res.record as { id: unknown }).id)
    }
    const record = await loadRecord(app.store, c, id, app.store.dialect)
    if (!record) throw unauthorized('Failed to authenticate.')
    // A login always starts a new family (ASVS 7.2.4); the session this browser had before is ended.
    const previous = await app.sessions.familyOf(parseCookies(req.headers.cookie).get(cookieNames(opts.secure).refresh))
    if (previous) await app.sessions.revokeFamily(previous)
    const issued = await app.sessions.start(c, record)
    setSessionCookies(reply, c, opts.secure, issued)
    reply.header('cache-control', 'no-store')
    return pick(q, { record: res.record, csrfToken: issued.csrf })
  })

  f.post(REFRESH, async (req, reply) => {
    const { c, opts } = enabledCollection(req)
    await assertSameOrigin(app, req, opts.secure)
    const pending = await app.sessions.beginRefresh(c, parseCookies(req.headers.cookie).get(cookieNames(opts.secure).refresh))
    assertCsrf(req, c, pending.family.id, opts.secure) // before rotating: a forged refresh must change nothing
    const q = req.query as Query
    const res = await app.auth.respond(c, pending.record, { expand: q.expand }, requestInfo(req), { token: '-' })
    const issued = await app.sessions.rotate(pending)
    setSessionCookies(reply, c, opts.secure, issued)
    reply.header('cache-control', 'no-store')
    return pick(q, { record: res.record, csrfToken: issued.csrf })
  })

  // Logout: revokes this browser's family (found by the access cookie, or by the refresh cookie once the
  // access token expired) and clears the cookies. Idempotent: without a session it only clears cookies.
  f.delete(LOGIN, async (req, reply) => {
    const c = app.auth.authCollection((req.params as { collection: string }).collection)
    const { secure } = cookieSessionOptions(c)
    await assertSameOrigin(app, req, secure)
    const own = req.cookieSession?.auth.collection.id === c.id ? req.cookieSession.familyId : undefined
    const familyId = own ?? await app.sessions.familyOf(parseCookies(req.headers.cookie).get(cookieNames(secure).refresh))
    if (familyId) {
      assertCsrf(req, c, familyId, secure)
      await app.sessions.revokeFamily(familyId)
    }
    setSessionCookies(reply, c, secure, null)
    return reply.status(204).send()
  })

  // Logout everywhere: every cookie session of the authenticated record (cookie or bearer auth; with a
  // cookie, the CSRF check already ran in applyCookieSession).
  f.delete(`${BASE}/cookie-sessions`, async (req, reply) => {
    const c = app.auth.authCollection((req.params as { collection: string }).collection)
    if (!req.auth) throw unauthorized('The request requires valid record authorization token.')
    if (req.auth.collection.id !== c.id) throw forbidden('The request requires valid record authorization token of this collection.')
    await app.sessions.revokeAll(c, String(req.auth.record.id))
    if (req.cookieSession) setSessionCookies(reply, c, cookieSessionOptions(c).secure, null)
    return reply.status(204).send()
  })
}
