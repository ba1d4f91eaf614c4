// Root-wide hooks: client IP, PocketBase's general rate-limit rules (onRequest), brute-force guard on auth routes.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type net from 'node:net'
import type { App } from '../app.ts'
import { ApiError } from '../core/errors.ts'
import { SUPERUSERS_NAME } from '../core/collections/types.ts'
import { MfaRequiredError } from '../auth/mfa.ts'
import { defaultSettings, type Settings } from '../settings/settings.ts'
import { audiencesFor, findRule, routeTags, ruleKey, searchLabels } from '../ratelimit/rules.ts'
import { normalizeIdentity, type Attempt } from '../ratelimit/brute-force.ts'
import { clientIp, DEFAULT_TRUSTED_PROXIES, inList, limiterIpKey, parseProxyList } from './client-ip.ts'

declare module 'fastify' {
  interface FastifyRequest {
    /** The client address (src/http/client-ip.ts): use it instead of `req.ip` wherever the client matters. */
    clientIp: string
    bruteForce: { attempt: Attempt; firstFactorPassed: boolean } | null
  }
}

type Body = Record<string, unknown>
const C = 'POST /api/collections/:collection'
const bodyOf = (req: FastifyRequest): Body => (req.body && typeof req.body === 'object' && !Array.isArray(req.body) ? req.body as Body : {})
const self = (req: FastifyRequest) => (req.auth ? `#record:${req.auth.record.id}` : null)

/**
 * Auth endpoints whose failures are counted, and the identity each failure is charged to besides the IP.
 * `null` = IP only: tokens/OTP ids are secrets, not identities (keying on them would let an attacker pick a
 * fresh bucket per request, SECURITY.md L7), and OTP/TOTP codes already have a per-record budget
 * (5 per 180 s) of their own. A second factor sent with `mfaId` goes through the same routes.
 */
const GUARDED: Record<string, (req: FastifyRequest) => unknown> = {
  [`${C}/auth-with-password`]: (req) => bodyOf(req).identity,
  [`${C}/cookie-session`]: (req) => (req.headers.authorization === undefined ? bodyOf(req).identity : null),
  [`${C}/auth-with-otp`]: () => null,
  [`${C}/auth-with-totp`]: () => null,
  [`${C}/auth-with-oauth2`]: () => null,
  [`${C}/request-otp`]: (req) => bodyOf(req).email,
  [`${C}/request-verification`]: (req) => bodyOf(req).email,
  [`${C}/request-password-reset`]: (req) => bodyOf(req).email,
  [`${C}/request-email-change`]: self,
  [`${C}/confirm-verification`]: () => null,
  [`${C}/confirm-password-reset`]: () => null,
  [`${C}/confirm-email-change`]: () => null,
  [`${C}/totp/verify`]: self,
  [`${C}/totp/disable`]: self,
}

function tooManyRequests(reply: FastifyReply, retryAfter: number): FastifyReply {
  return reply.status(429).header('retry-after', String(retryAfter)).send(new ApiError(429).toJSON())
}

/** The decoded URL path without the query: `/api/%63ollections` must not dodge a `/api/collections/` rule. */
function pathOf(url: string): string {
  const p = url.split('?', 1)[0]
  try { return decodeURIComponent(p) } catch { return p }
}

export const rateLimiting = fp(async (f: FastifyInstance, { app }: { app: App }) => {
  const proxies = parseProxyList(app.config.trustedProxies ?? DEFAULT_TRUSTED_PROXIES)
  const guard = app.limiter.bruteForce
  // Settings come from the store (cached ~1 s); if it is unreachable keep the last known ones rather
  // than failing every request here or silently dropping limits.
  let last: Settings | null = null
  const settings = async (): Promise<Settings> => {
    const fresh = app.settings.peek()
    if (fresh) return (last = fresh)
    try { last = await app.settings.get() } catch { last ??= defaultSettings() }
    return last
  }
  const excluded = cachedList()

  f.decorateRequest('clientIp', '')
  f.decorateRequest('bruteForce', null)

  // Registered after authContext, so `req.auth` is known (superusers bypass, audiences).
  f.addHook('onRequest', async (req, reply) => {
    const s = await settings()
    req.clientIp = clientIp(req.socket.remoteAddress ?? req.ip, req.headers, s.trustedProxy, proxies)
    const limits = s.rateLimits
    if (!limits.enabled || !limits.rules.length || req.auth?.collection.name === SUPERUSERS_NAME) return
    if (excluded(limits.excludedIPs, req.clientIp)) return
    const pattern = req.routeOptions.url
    const tags = routeTags(req.method, pattern)
    const collection = tags ? app.collections.find(String((req.params as Record<string, unknown>).collection ?? '')) : undefined
    const rule = findRule(limits.rules, searchLabels(req.method, pathOf(req.url), collection?.name, collection ? tags! : []), audiencesFor(!!req.auth))
    if (!rule) return
    const scope = collection ? { collectionId: collection.id, route: `${req.method} ${pattern}` } : undefined
    const r = await app.limiter.consume(ruleKey(rule, limiterIpKey(req.clientIp), scope), rule)
    if (!r.allowed) {
      app.metrics.rateLimited.inc({ kind: 'rules' })
      return tooManyRequests(reply, r.retryAfter)
    }
  })

  if (!guard.enabled) return

  // preHandler: the body is parsed (the identity lives there) and the handler has not verified anything yet.
  f.addHook('preHandler', async (req, reply) => {
    const identityOf = GUARDED[`${req.method} ${req.routeOptions.url}`]
    if (!identityOf) return
    const collection = app.collections.find(String((req.params as Record<string, unknown>).collection ?? ''))
    const value = normalizeIdentity(identityOf(req))
    const identity = collection && value ? { scope: collection.id, value } : null
    // excludedIPs (settings) lift the per-IP budget only; accounts stay protected from any address.
    const s = await settings()
    const ipKey = excluded(s.rateLimits.excludedIPs, req.clientIp) ? null : limiterIpKey(req.clientIp)
    const res = await guard.begin(ipKey, identity)
    if (!res.ok) {
      app.metrics.rateLimited.inc({ kind: 'auth' })
      return tooManyRequests(reply, res.retryAfter)
    }
    req.bruteForce = { attempt: res.attempt, firstFactorPassed: false }
  })

  // A first factor answered with 401 {mfaId} proved the password/code: that is a success, not a failure.
  f.addHook('onError', async (req, _reply, err) => {
    if (req.bruteForce && err instanceof MfaRequiredError) req.bruteForce.firstFactorPassed = true
  })

  // onSend, not onResponse: the outcome is recorded before the client sees it, so its next request is judged on it.
  f.addHook('onSend', async (req, reply, payload) => {
    const bf = req.bruteForce
    if (!bf) return payload
    req.bruteForce = null
    const status = reply.statusCode
    if (status < 400 || bf.firstFactorPassed) await guard.succeeded(bf.attempt)
    else if (status >= 500) await guard.neutral(bf.attempt)
    else await guard.failed(bf.attempt)
    return payload
  })
})

/** excludedIPs as a BlockList (IPs and CIDRs), rebuilt only when the setting changes. */
function cachedList(): (entries: string[], ip: string) => boolean {
  let key = ''
  let list: net.BlockList | null = null
  return (entries, ip) => {
    if (!entries.length) return false
    const k = entries.join(',')
    if (k !== key) {
      key = k
      // Invalid entries are skipped one by one rather than disabling the whole list.
      list = parseProxyList(entries.filter((e) => { try { parseProxyList([e]); return true } catch { return false } }))
    }
    return inList(list!, ip)
  }
}
