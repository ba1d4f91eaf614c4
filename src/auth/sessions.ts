// Cookie sessions (Basalt extension, docs/sessions.md): a short-lived access JWT for the session cookie and
// rotating opaque refresh tokens grouped in families (one family = one login); reusing a spent refresh
// token revokes its whole family. Storage: `_sessionFamilies` and `_sessions` (src/store/migrations.ts).
import { createHash, randomBytes } from 'node:crypto'
import { decodeJwt, decodeProtectedHeader, jwtVerify, SignJWT } from 'jose'
import type { Collection, CookieSessionOptions } from '../core/collections/types.ts'
import type { CollectionService } from '../core/collections/collection-service.ts'
import { mergeCookieSessions } from '../core/collections/collection-json.ts'
import { loadRecord } from '../core/records/record-io.ts'
import { unauthorized } from '../core/errors.ts'
import { formatDate, type Clock } from '../core/clock.ts'
import { newRecordId } from '../core/ids.ts'
import { sql } from '../store/sql.ts'
import type { Store } from '../store/types.ts'
import type { AuthInfo, RecordData } from '../rules/request-info.ts'
import { mintCsrfToken } from './csrf.ts'

/** JWT `type` of the session cookie's token; tokens.ts knows no such type, so it is never a bearer token. */
export const SESSION_TOKEN_TYPE = 'cookieSession'
const MAX_TOKEN_LENGTH = 4096

/** Cookie names. `__Host-` (Secure, Path=/, no Domain) cannot be planted by a sibling subdomain or over http. */
export function cookieNames(secure: boolean) {
  return secure
    ? { session: '__Host-basalt_session', refresh: '__Secure-basalt_refresh', csrf: '__Host-basalt_csrf' }
    : { session: 'basalt_session', refresh: 'basalt_refresh', csrf: 'basalt_csrf' }
}

/** The collection's cookie-session options with defaults filled in (older stored collections lack them). */
export function cookieSessionOptions(c: Collection): CookieSessionOptions {
  return mergeCookieSessions(c.auth?.cookieSessions, {})
}

/** What a login or refresh hands to the HTTP layer to put in cookies. */
export interface IssuedSession {
  familyId: string
  access: string
  refresh: string
  csrf: string
  /** Seconds until the access token / the refresh token expire (cookie Max-Age). */
  accessMaxAge: number
  refreshMaxAge: number
}

/** A request authenticated by the session cookie. */
export interface CookieSession { auth: AuthInfo; familyId: string; secure: boolean }

interface FamilyRow { id: string; collectionRef: string; recordRef: string; keyHash: string; revoked: number | string; expires: string }
interface SessionRow { id: string; familyRef: string; used: number | string; expires: string }

/** A refresh token that looked valid; `rotate` spends it (kept apart so the CSRF check can run between). */
export interface PendingRefresh { c: Collection; record: RecordData; family: FamilyRow; tokenHash: string }

const sha256 = (s: string) => createHash('sha256').update(s).digest('base64url')
const NOT_AUTHORIZED = 'The refresh token is invalid, expired or was revoked.'

function accessKey(c: Collection, record: RecordData): Uint8Array {
  // Same ingredients as bearer tokens (per-record tokenKey: a password/email change invalidates it), but a
  // distinct suffix, so neither kind of token can ever verify as the other.
  return new TextEncoder().encode(`${String(record.tokenKey)}${c.auth!.authToken.secret}\0basalt-cookie-session`)
}

export class SessionService {
  constructor(private readonly deps: { store: Store; collections: CollectionService; clock: Clock }) {}

  /** A new login: new family, first refresh token, access token and CSRF token. */
  async start(c: Collection, record: RecordData): Promise<IssuedSession> {
    const now = this.deps.clock.now()
    const opts = cookieSessionOptions(c)
    const family: FamilyRow = {
      id: newRecordId(), collectionRef: c.id, recordRef: String(record.id), keyHash: sha256(String(record.tokenKey)),
      revoked: 0, expires: formatDate(new Date(now.getTime() + opts.maxDuration * 1000)),
    }
    const stamp = formatDate(now)
    const { store } = this.deps
    // Expired rows are useless (a spent token past its expiry is refused anyway), so prune them at each login.
    await store.run(sql`DELETE FROM "_sessions" WHERE "expires" < ${stamp}`)
    await store.run(sql`DELETE FROM "_sessionFamilies" WHERE "expires" < ${stamp}`)
    await store.run(sql`INSERT INTO "_sessionFamilies" ("id", "collectionRef", "recordRef", "keyHash", "revoked", "expires", "created", "updated")
      VALUES (${family.id}, ${family.collectionRef}, ${family.recordRef}, ${family.keyHash}, 0, ${family.expires}, ${stamp}, ${stamp})`)
    return this.issue(store, c, record, family, now)
  }

  /**
   * Checks a refresh token. A token already spent means it was stolen or replayed: the whole family is
   * revoked (the thief's and the victim's sessions) and 401 is thrown, as for any invalid token.
   */
  async beginRefresh(c: Collection, refreshToken: string | undefined): Promise<PendingRefresh> {
    if (!refreshToken || refreshToken.length > 256) throw unauthorized(NOT_AUTHORIZED)
    const tokenHash = sha256(refreshToken)
    const { store } = this.deps
    const row = await store.get<SessionRow>(sql`SELECT * FROM "_sessions" WHERE "id" = ${tokenHash}`)
    const family = row && await store.get<FamilyRow>(sql`SELECT * FROM "_sessionFamilies" WHERE "id" = ${row.familyRef}`)
    if (!row || !family || family.collectionRef !== c.id || Number(family.revoked)) throw unauthorized(NOT_AUTHORIZED)
    if (Number(row.used)) {
      await this.revokeFamily(family.id)
      throw unauthorized(NOT_AUTHORIZED)
    }
    const now = formatDate(this.deps.clock.now())
    if (row.expires <= now || family.expires <= now) throw unauthorized(NOT_AUTHORIZED)
    const record = await loadRecord(store, c, family.recordRef, store.dialect)
    // A changed tokenKey (password or email change) ends every cookie session of the record.
    if (!record || sha256(String(record.tokenKey)) !== family.keyHash) {
      await this.revokeFamily(family.id)
      throw unauthorized(NOT_AUTHORIZED)
    }
    return { c, record, family, tokenHash }
  }

  /** Spends the refresh token and issues the next one. Of concurrent rotations exactly one wins; the rest count as reuse. */
  async rotate(p: PendingRefresh): Promise<IssuedSession> {
    const now = this.deps.clock.now()
    const issued = await this.deps.store.transaction(async (tx) => {
      const { changes } = await tx.run(sql`UPDATE "_sessions" SET "used" = 1, "updated" = ${formatDate(now)} WHERE "id" = ${p.tokenHash} AND "used" = 0`)
      return changes === 1 ? this.issue(tx, p.c, p.record, p.family, now) : null
    })
    if (issued) return issued
    await this.revokeFamily(p.family.id)
    throw unauthorized(NOT_AUTHORIZED)
  }

  /** The family a refresh token belongs to (spent or not), for logout. */
  async familyOf(refreshToken: string | undefined): Promise<string | undefined> {
    if (!refreshToken || refreshToken.length > 256) return undefined
    const row = await this.deps.store.get<SessionRow>(sql`SELECT "familyRef" FROM "_sessions" WHERE "id" = ${sha256(refreshToken)}`)
    return row?.familyRef
  }

  async revokeFamily(id: string): Promise<void> {
    await this.deps.store.run(sql`UPDATE "_sessionFamilies" SET "revoked" = 1, "updated" = ${formatDate(this.deps.clock.now())} WHERE "id" = ${id}`)
  }

  /** Logout everywhere: every cookie session of the record (bearer tokens are not sessions and stay valid). */
  async revokeAll(c: Collection, recordId: string): Promise<number> {
    const { changes } = await this.deps.store.run(sql`UPDATE "_sessionFamilies" SET "revoked" = 1, "updated" = ${formatDate(this.deps.clock.now())}
      WHERE "collectionRef" = ${c.id} AND "recordRef" = ${recordId} AND "revoked" = 0`)
    return changes
  }

  /**
   * Session cookie → auth. Null for anything invalid: bad signature, expired, wrong cookie kind for the
   * collection's `secure` option, cookie sessions disabled, or the family revoked/expired (the
   * primary-key lookup that makes access tokens revocable before they expire).
   */
  async authenticate(token: string | undefined, fromSecureCookie: boolean): Promise<CookieSession | null> {
    if (!token || token.length > MAX_TOKEN_LENGTH) return null
    let peek: Record<string, unknown>
    try {
      if (decodeProtectedHeader(token).alg !== 'HS256') return null
      peek = decodeJwt(token)
    } catch {
      return null
    }
    const { type, id, collectionId, sid } = peek
    if (type !== SESSION_TOKEN_TYPE || typeof id !== 'string' || typeof collectionId !== 'string' || typeof sid !== 'string') return null
    const c = this.deps.collections.find(collectionId)
    if (!c?.auth || c.id !== collectionId) return null
    const opts = cookieSessionOptions(c)
    // A Secure collection's token is only accepted from the `__Host-` cookie, which nobody else can set.
    if (!opts.enabled || opts.secure !== fromSecureCookie) return null
    const { store } = this.deps
    const record = await loadRecord(store, c, id, store.dialect)
    if (!record) return null
    try {
      const { payload } = await jwtVerify(token, accessKey(c, record), {
        algorithms: ['HS256'], requiredClaims: ['exp'], clockTolerance: 0, currentDate: this.deps.clock.now(),
      })
      if (payload.type !== SESSION_TOKEN_TYPE || payload.id !== record.id || payload.collectionId !== c.id || payload.sid !== sid) return null
    } catch {
      return null
    }
    const family = await store.get<FamilyRow>(sql`SELECT * FROM "_sessionFamilies" WHERE "id" = ${sid}`)
    if (!family || Number(family.revoked) || family.expires <= formatDate(this.deps.clock.now())) return null
    if (family.collectionRef !== c.id || family.recordRef !== record.id) return null
    return { auth: { collection: c, record }, familyId: sid, secure: opts.secure }
  }

  /** New refresh row + access token; both end no later than the family's absolute expiry. */
  private async issue(db: Pick<Store, 'run'>, c: Collection, record: RecordData, family: FamilyRow, now: Date): Promise<IssuedSession> {
    const opts = cookieSessionOptions(c)
    const left = Math.floor((Date.parse(family.expires.replace(' ', 'T')) - now.getTime()) / 1000)
    if (!(left > 0)) throw unauthorized(NOT_AUTHORIZED)
    const accessMaxAge = Math.min(opts.accessDuration, left)
    const refreshMaxAge = Math.min(opts.refreshDuration, left)
    const refresh = randomBytes(32).toString('base64url')
    const stamp = formatDate(now)
    await db.run(sql`INSERT INTO "_sessions" ("id", "familyRef", "used", "expires", "created", "updated")
      VALUES (${sha256(refresh)}, ${family.id}, 0, ${formatDate(new Date(now.getTime() + refreshMaxAge * 1000))}, ${stamp}, ${stamp})`)
    const nowSec = Math.floor(now.getTime() / 1000)
    const access = await new SignJWT({ type: SESSION_TOKEN_TYPE, id: String(record.id), collectionId: c.id, sid: family.id })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setExpirationTime(nowSec + accessMaxAge)
      .setJti(randomBytes(12).toString('base64url')) // every issuance distinct, even within one second
      .sign(accessKey(c, record))
    return { familyId: family.id, access, refresh, csrf: mintCsrfToken(c.auth!.authToken.secret, family.id), accessMaxAge, refreshMaxAge }
  }
}
