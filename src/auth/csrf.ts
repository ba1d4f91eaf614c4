// CSRF defences for cookie sessions (docs/sessions.md): HMAC-bound double-submit tokens, Origin/Referer
// checks and the small cookie parser/serializer they need. Pure functions, no I/O.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

/** Methods that may change state; everything else (GET, HEAD, OPTIONS) never needs CSRF proof. */
export const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/** Cookies and headers longer than this are ignored, so hostile input costs no HMAC/JWT work. */
const MAX_VALUE_LENGTH = 4096

function mac(secret: string, familyId: string, nonce: string): string {
  // Domain-separated from every other use of the collection secret by the "basalt-csrf" prefix.
  return createHmac('sha256', secret).update(`basalt-csrf\0${familyId}\0${nonce}`).digest('base64url')
}

/**
 * A CSRF token `nonce.mac` bound to one session family. A cookie-tossing attacker (sibling subdomain,
 * http MITM) can plant any `csrf` cookie, but without the server secret cannot make one that verifies
 * for the victim's family — plain double-submit alone would accept any equal cookie/header pair.
 */
export function mintCsrfToken(secret: string, familyId: string): string {
  const nonce = randomBytes(18).toString('base64url')
  return `${nonce}.${mac(secret, familyId, nonce)}`
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a), y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/**
 * Double-submit check: the header must equal the cookie (proves the caller can read this origin's
 * cookies) and carry a valid MAC for `familyId` (proves the server minted it for this session).
 */
export function verifyCsrfToken(secret: string, familyId: string, header: unknown, cookie: unknown): boolean {
  if (typeof header !== 'string' || typeof cookie !== 'string') return false
  if (!header || header.length > MAX_VALUE_LENGTH || !safeEqual(header, cookie)) return false
  const dot = header.indexOf('.')
  if (dot <= 0) return false
  return safeEqual(header.slice(dot + 1), mac(secret, familyId, header.slice(0, dot)))
}

/** `scheme://host[:port]` of an absolute http(s) URL, or null (opaque, `null`, malformed). */
export function originOf(url: unknown): string | null {
  if (typeof url !== 'string' || !url || url.length > MAX_VALUE_LENGTH) return null
  try {
    const u = new URL(url)
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.origin : null
  } catch {
    return null
  }
}

export interface OriginCheck {
  origin?: string | string[]
  referer?: string | string[]
  /** The Host header of the request (a victim's browser always sends the real one). */
  host?: string
  /** `req.protocol` as the server sees it (http behind a TLS-terminating proxy). */
  protocol: string
  /** settings.meta.appURL */
  appURL: string
  /** Cookies are Secure, so the page must be https: also accept https://<host> behind a TLS proxy. */
  secure: boolean
}

/**
 * Is the request from our own origin? `Origin` when present (browsers send it on every non-GET
 * fetch/form), else `Referer`; neither, or `Origin: null`, fails closed. Allowed: the app URL's origin
 * and the origin the request was addressed to.
 */
export function isSameOrigin(c: OriginCheck): boolean {
  const first = (v: string | string[] | undefined) => (Array.isArray(v) ? (v.length === 1 ? v[0] : undefined) : v)
  const rawOrigin = first(c.origin)
  const source = rawOrigin !== undefined ? originOf(rawOrigin) : originOf(first(c.referer))
  if (!source) return false
  const allowed = new Set<string>()
  const app = originOf(c.appURL)
  if (app) allowed.add(app)
  if (c.host && !/[\s/\\@]/.test(c.host)) {
    for (const scheme of c.secure ? [c.protocol, 'https'] : [c.protocol]) {
      const own = originOf(`${scheme}://${c.host}`)
      if (own) allowed.add(own)
    }
  }
  return allowed.has(source)
}

/** Cookie header → first value per name (the most path-specific one, in browsers' order). */
export function parseCookies(header: unknown): Map<string, string> {
  const out = new Map<string, string>()
  if (typeof header !== 'string' || header.length > 16 * 1024) return out
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq < 0) continue
    const name = part.slice(0, eq).trim()
    const value = part.slice(eq + 1).trim()
    if (name && !out.has(name) && value.length <= MAX_VALUE_LENGTH) out.set(name, value)
  }
  return out
}

export interface CookieAttributes {
  path: string
  maxAge: number
  httpOnly: boolean
  secure: boolean
  sameSite: 'Strict' | 'Lax'
}

/** A Set-Cookie value. Values we set are base64url/JWT text, so no encoding is needed; others are refused. */
export function serializeCookie(name: string, value: string, a: CookieAttributes): string {
  if (!/^[\w.-]*$/.test(value) || !/^[\w-]+$/.test(name) || !/^\/[\w%./-]*$/.test(a.path)) throw new TypeError('serializeCookie: unsafe cookie')
  let out = `${name}=${value}; Path=${a.path}; Max-Age=${Math.max(0, Math.floor(a.maxAge))}; SameSite=${a.sameSite}`
  if (a.httpOnly) out += '; HttpOnly'
  if (a.secure) out += '; Secure'
  return out
}
