// PocketBase-compatible HS256 JWTs (auth/file/verification/passwordReset/emailChange) signed with tokenKey + collection secret.
import { createHmac, timingSafeEqual } from 'node:crypto'
import { CompactSign, decodeProtectedHeader } from 'jose'

export type TokenType = 'auth' | 'file' | 'verification' | 'passwordReset' | 'emailChange'
export const TOKEN_TYPES: readonly TokenType[] = ['auth', 'file', 'verification', 'passwordReset', 'emailChange']

export interface TokenClaims {
  type: TokenType
  id: string
  collectionId: string
  refreshable?: boolean
  email?: string
  newEmail?: string
  exp: number
}

/** Anything longer is rejected before decoding (SECURITY.md E13); real tokens are ~250–400 bytes. */
export const MAX_TOKEN_LENGTH = 8 * 1024

/** Exactly PocketBase's header bytes (`eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9`), so tokens look identical on the wire. */
const HEADER = { alg: 'HS256', typ: 'JWT' } as const
const B64URL = /^[A-Za-z0-9_-]+$/
const utf8 = new TextDecoder('utf-8', { fatal: true })
const encoder = new TextEncoder()

function signingKey(tokenKey: string, secret: string): Uint8Array | null {
  // Both parts are required: an empty tokenKey would make every record of the collection share one key,
  // an empty secret would let anyone who learns a tokenKey (e.g. from a DB dump) mint tokens.
  if (typeof tokenKey !== 'string' || typeof secret !== 'string' || !tokenKey || !secret) return null
  return encoder.encode(tokenKey + secret)
}

/**
 * JSON with every char outside printable ASCII, plus `>` `?` `~`, written as \uXXXX. For pure ASCII
 * input only a byte whose low 6 bits are 111110/111111 (`>` `?` `~` DEL) can yield base64 digit 62/63,
 * i.e. `-`/`_` in base64url; escaping them keeps the payload decodable by the SDK's plain `atob`
 * whatever ids/emails contain. Still valid JSON, so PocketBase and jose read it the same.
 */
function safeJson(value: unknown): string {
  return JSON.stringify(value).replace(/[^\x20-\x3d\x40-\x7d]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'))
}

/** Claims in PocketBase's (alphabetical, Go map) order: collectionId, email, exp, id, newEmail, refreshable, type. */
function orderedPayload(c: TokenClaims): Record<string, unknown> {
  const p: Record<string, unknown> = { collectionId: c.collectionId }
  if (c.email !== undefined) p.email = c.email
  p.exp = c.exp
  p.id = c.id
  if (c.newEmail !== undefined) p.newEmail = c.newEmail
  if (c.refreshable !== undefined) p.refreshable = c.refreshable
  p.type = c.type
  return p
}

/** Validates an untrusted claims object; returns a fresh object with only the known claims, or null. */
function normalizeClaims(raw: unknown): TokenClaims | null {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return null
  const r = raw as Record<string, unknown>
  const { type, id, collectionId, exp, refreshable, email, newEmail } = r
  if (typeof type !== 'string' || !(TOKEN_TYPES as readonly string[]).includes(type)) return null
  if (typeof id !== 'string' || id === '' || typeof collectionId !== 'string' || collectionId === '') return null
  if (typeof exp !== 'number' || !Number.isFinite(exp)) return null
  if (refreshable !== undefined && typeof refreshable !== 'boolean') return null
  if (email !== undefined && typeof email !== 'string') return null
  if (newEmail !== undefined && typeof newEmail !== 'string') return null
  const out: TokenClaims = { type: type as TokenType, id, collectionId, exp }
  if (refreshable !== undefined) out.refreshable = refreshable
  if (email !== undefined) out.email = email
  if (newEmail !== undefined) out.newEmail = newEmail
  return out
}

function decodeSegment(seg: string): unknown {
  // Buffer's base64url decoder silently skips junk, so validate the alphabet first.
  if (!B64URL.test(seg) || seg.length % 4 === 1) return undefined
  try {
    return JSON.parse(utf8.decode(Buffer.from(seg, 'base64url')))
  } catch {
    return undefined
  }
}

/** Signs a token; `exp` = now + durationSeconds. Throws on invalid input (programming error, not user input). */
export async function signToken(
  claims: Omit<TokenClaims, 'exp'>,
  opts: { tokenKey: string; secret: string; durationSeconds: number; now?: Date },
): Promise<string> {
  const key = signingKey(opts.tokenKey, opts.secret)
  if (!key) throw new TypeError('signToken: tokenKey and secret must be non-empty strings')
  if (!Number.isFinite(opts.durationSeconds) || opts.durationSeconds <= 0) {
    throw new TypeError('signToken: durationSeconds must be a positive number')
  }
  const nowSec = Math.floor((opts.now ?? new Date()).getTime() / 1000)
  const full = normalizeClaims({ ...claims, exp: nowSec + Math.floor(opts.durationSeconds) })
  if (!full) throw new TypeError('signToken: invalid claims')
  return new CompactSign(encoder.encode(safeJson(orderedPayload(full)))).setProtectedHeader({ ...HEADER }).sign(key)
}

/**
 * Reads claims WITHOUT verifying the signature — only to find which record/collection supplies the key.
 * Never use the result for authorization. Null for anything malformed.
 */
export function peekClaims(token: string): TokenClaims | null {
  if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) return null
  const parts = token.split('.')
  if (parts.length !== 3 || !B64URL.test(parts[2])) return null
  const header = decodeSegment(parts[0])
  if (typeof header !== 'object' || header === null || typeof (header as { alg?: unknown }).alg !== 'string') return null
  return normalizeClaims(decodeSegment(parts[1]))
}

/**
 * Full verification: structure, alg pinned to HS256, signature with tokenKey+secret, `exp` (no leeway:
 * expired when exp <= now), and type in `allowedTypes`. Returns the claims or null; never throws.
 * The caller must still check that the record the key came from matches `id`/`collectionId`.
 */
export async function verifyToken(
  token: string,
  opts: { tokenKey: string; secret: string; allowedTypes: TokenType[]; now?: Date },
): Promise<TokenClaims | null> {
  try {
    const peeked = peekClaims(token)
    if (!peeked || !opts.allowedTypes.includes(peeked.type)) return null
    const key = signingKey(opts.tokenKey, opts.secret)
    if (!key) return null
    // Belt and braces: jose's `algorithms` allowlist already rejects none/HS512/RS256…, but the pin is
    // the whole defence against alg confusion, so check the raw header ourselves too.
    const header = decodeProtectedHeader(token)
    if (header.alg !== 'HS256' || (header.typ !== undefined && header.typ !== 'JWT')) return null
    // HMAC-SHA256 with node:crypto: the same check jose's jwtVerify makes, without a WebCrypto key
    // import per request (a measurable share of every authenticated request's CPU).
    const [head, body, signature] = token.split('.')
    const expected = createHmac('sha256', key).update(`${head}.${body}`).digest()
    const given = Buffer.from(signature, 'base64url')
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'))
    const nowSec = Math.floor((opts.now ?? new Date()).getTime() / 1000)
    if (typeof payload?.exp !== 'number' || payload.exp <= nowSec) return null
    // Re-validate the *verified* payload rather than trusting the peeked copy.
    const claims = normalizeClaims(payload)
    if (!claims || !opts.allowedTypes.includes(claims.type)) return null
    return claims
  } catch {
    return null
  }
}

/** Token from an Authorization header: the raw token (what the SDK sends) or `Bearer <token>`, any case. */
export function tokenFromHeader(header: string | undefined): string | null {
  if (typeof header !== 'string') return null
  let t = header.trim()
  const m = /^bearer(?:\s+|$)/i.exec(t)
  if (m) t = t.slice(m[0].length).trim()
  if (t === '' || t.length > MAX_TOKEN_LENGTH || /\s/.test(t)) return null
  return t
}
