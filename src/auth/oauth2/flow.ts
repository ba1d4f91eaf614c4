// auth-with-oauth2 (PocketBase §4.5): exchange the code (PKCE, nonce-checked ID token), fetch the user,
// then find the record by link → authenticated record → verified email → create, save the link, respond.
import { createHash } from 'node:crypto'
import * as oidc from 'openid-client'
import type { App } from '../../app.ts'
import { SUPERUSERS_NAME, type Collection } from '../../core/collections/types.ts'
import { ApiError, badRequest, fieldError, forbidden, type ErrorData } from '../../core/errors.ts'
import type { ReadQuery } from '../../core/records/list-query.ts'
import { loadRecord, rowToRecord } from '../../core/records/record-io.ts'
import { isUniqueViolation } from '../../store/types.ts'
import { sql } from '../../store/sql.ts'
import type { RecordData, RequestInfo } from '../../rules/request-info.ts'
import type { AuthResponse } from '../auth-service.ts'
import { mfaIdOf } from '../mfa.ts'
import { needsVerifier, oauth2Nonce } from './auth-methods.ts'
import type { ExternalAuths } from './external-auths.ts'
import { configurationFor, expectsIdToken, findProvider, type ProviderConfig } from './providers.ts'
import { fetchOAuth2User, type OAuth2User } from './user.ts'
import { accountPatch, applyPatch, isEmailTaken, newRecordBody, refuseForeignEmail } from './records.ts'
import { ErrorCode } from '../../core/error-codes.ts'

type Deps = Pick<App, 'store' | 'collections' | 'records' | 'writes' | 'auth' | 'clock' | 'externalAuths'>

interface Input { provider: ProviderConfig; code: string; codeVerifier: string; redirectURL: string; createData: Record<string, unknown> }

/** RFC 7636 verifier alphabet and length. */
const VERIFIER_RE = /^[A-Za-z0-9\-._~]{43,128}$/
/** Codes are short-lived at every provider; remembering them this long is enough to refuse replays. */
const CODE_MEMORY_MS = 10 * 60_000
const TOKEN_FAILED = 'Failed to fetch OAuth2 token.'
const USER_FAILED = 'Failed to fetch OAuth2 user.'

export class OAuth2Flow {
  private readonly links: ExternalAuths
  /** sha256(collection, provider, code) → forget-after time. Per process (providers refuse replays too). */
  private readonly usedCodes = new Map<string, number>()

  constructor(private readonly deps: Deps) {
    this.links = deps.externalAuths
  }

  async authenticate(c: Collection, body: Record<string, unknown>, q: ReadQuery, info: RequestInfo): Promise<AuthResponse> {
    if (!c.auth!.oauth2.enabled) throw forbidden('The collection is not configured to allow OAuth2 authentication.')
    const input = this.validate(c, body)
    return this.deps.auth.authRequestHook('onRecordAuthWithOAuth2Request', c, info, {}, () => this.exchange(c, input, body, q, info))
  }

  private async exchange(c: Collection, input: Input, body: Record<string, unknown>, q: ReadQuery, info: RequestInfo): Promise<AuthResponse> {
    const p = input.provider
    const now = this.deps.clock.now()
    this.claimCode(c, p, input.code, now.getTime())
    let config: oidc.Configuration
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>
    try {
      config = await configurationFor(p)
      tokens = await oidc.authorizationCodeGrant(config, callbackUrl(config, input), {
        pkceCodeVerifier: p.pkce ? input.codeVerifier : undefined,
        // openid-client then requires an ID token and checks its signature, iss, aud, exp and this nonce.
        expectedNonce: expectsIdToken(p) ? oauth2Nonce(c, p.name, input.codeVerifier) : undefined,
        idTokenExpected: expectsIdToken(p),
        // `state` is checked by the client (SDK: state == realtime clientId); the server never sees it.
        expectedState: oidc.skipStateCheck,
      })
    } catch (err) {
      throw badRequest(TOKEN_FAILED, {}, err)
    }
    let user: OAuth2User
    try {
      user = await fetchOAuth2User(p, config, tokens, now)
    } catch (err) {
      throw badRequest(USER_FAILED, {}, err)
    }
    if (!user.id) throw badRequest(USER_FAILED)

    const { record, isNew } = await this.resolve(c, p, user, input.createData, info)
    const res = await this.deps.auth.respond(c, record, q, { ...info, context: 'oauth2' }, { method: 'oauth2', mfaId: mfaIdOf(info, body) })
    const { rawUser, ...rest } = user
    return { ...res, meta: { ...rest, avatarUrl: user.avatarURL, rawUser, isNew } }
  }

  private validate(c: Collection, body: Record<string, unknown>): Input {
    const errors: ErrorData = {}
    const name = typeof body.provider === 'string' ? body.provider : ''
    const provider = name ? findProvider(c.auth!.oauth2.providers, name) : undefined
    if (!name) errors.provider = fieldError(ErrorCode.required, 'Cannot be blank.')
    else if (!provider) errors.provider = fieldError(ErrorCode.invalidProvider, `Provider with name ${JSON.stringify(name)} is missing or is not enabled.`)
    const code = typeof body.code === 'string' ? body.code : ''
    if (!code || code.length > 4096) errors.code = fieldError(ErrorCode.required, 'Cannot be blank.')
    const codeVerifier = typeof body.codeVerifier === 'string' ? body.codeVerifier : ''
    // Without the verifier there is neither PKCE nor a nonce to check: refuse before calling the provider.
    if (provider && needsVerifier(provider) && !VERIFIER_RE.test(codeVerifier)) {
      errors.codeVerifier = fieldError(ErrorCode.invalidCodeVerifier, 'Missing or invalid PKCE code verifier.')
    }
    const redirect = typeof body.redirectURL === 'string' && body.redirectURL ? body.redirectURL : body.redirectUrl
    const redirectURL = typeof redirect === 'string' ? redirect : ''
    if (!/^https?:\/\//i.test(redirectURL) || !URL.canParse(redirectURL)) errors.redirectURL = fieldError(ErrorCode.isUrl, 'Must be a valid URL.')
    const createData = body.createData ?? {}
    if (!createData || typeof createData !== 'object' || Array.isArray(createData)) errors.createData = fieldError(ErrorCode.invalid, 'Must be an object.')
    if (Object.keys(errors).length) throw badRequest('Something went wrong while processing your request.', errors)
    return { provider: provider!, code, codeVerifier, redirectURL, createData: createData as Record<string, unknown> }
  }

  /** Single use before the exchange: a replayed (or concurrently duplicated) code is refused here. */
  private claimCode(c: Collection, p: ProviderConfig, code: string, now: number): void {
    if (this.usedCodes.size > 10_000) for (const [k, until] of this.usedCodes) if (until <= now) this.usedCodes.delete(k)
    const key = createHash('sha256').update(`${c.id}\0${p.name}\0${code}`).digest('base64url')
    const until = this.usedCodes.get(key)
    if (until !== undefined && until > now) throw badRequest(TOKEN_FAILED)
    this.usedCodes.set(key, now + CODE_MEMORY_MS)
  }

  /**
   * Link by `sub` first; else the caller's own record (linking while logged in); else an existing record
   * with the provider's VERIFIED email; else a new record. An unverified provider email never selects
   * an account (user.email is '' then), so it can't log anyone into someone else's account.
   */
  private async resolve(c: Collection, p: ProviderConfig, user: OAuth2User, createData: Record<string, unknown>, info: RequestInfo): Promise<{ record: RecordData; isNew: boolean }> {
    const { store } = this.deps
    const d = store.dialect
    let link = await this.links.find(store, c, p.name, user.id)
    let record = link && await loadRecord(store, c, link.recordRef, d)
    if (link && !record) {
      await this.links.remove(link.id)
      link = undefined
    }
    if (link && record) return { record: await this.updateExisting(c, record, user, false), isNew: false }
    if (info.auth?.collection.id === c.id) record = await loadRecord(store, c, String(info.auth.record.id), d)
    let claimed = false
    if (!record && user.email) {
      const row = await store.get(sql`SELECT * FROM ${d.ident(c.name)} WHERE ${d.equalsIgnoreCase(d.ident('email'), sql`${user.email}`)} LIMIT 1`)
      record = row ? rowToRecord(c, row) : undefined
      claimed = !!record
    }
    if (record) {
      record = await this.updateExisting(c, record, user, claimed)
      return { record: await this.saveLink(c, p, user, record, false), isNew: false }
    }
    if (c.name === SUPERUSERS_NAME) throw badRequest('Superusers are not allowed to sign-up with OAuth2.')
    refuseForeignEmail(createData, user)
    const { body, files } = await newRecordBody(this.deps.store, c, user, createData)
    // The normal create path: createRule (with @request.context = "oauth2"), validation, uploads, events.
    const created = await this.deps.records.create(c, { body, files }, {}, { ...info, context: 'oauth2', body }) as { id: string }
    record = (await loadRecord(store, c, created.id, d))!
    record = await this.updateExisting(c, record, user, false)
    return { record: await this.saveLink(c, p, user, record, true), isNew: true }
  }

  /**
   * Fills an empty email, marks the record verified when its email is the provider's verified one and,
   * when an UNVERIFIED account is claimed through that email (PocketBase's anti pre-hijacking), also
   * randomizes its password, rotates its tokenKey and drops its previous links: whoever registered the
   * address before its owner loses every way in.
   */
  private async updateExisting(c: Collection, record: RecordData, user: OAuth2User, claimed: boolean): Promise<RecordData> {
    const patch = await accountPatch(c, record, user, claimed)
    if (!patch) return record
    try {
      return await this.deps.store.transaction(async () => {
        if (patch.dropLinks) await this.links.removeAllOf(c, String(record.id))
        return applyPatch(this.deps.writes, c, record, patch.values)
      })
    } catch (err) {
      // Filling an empty email can collide with another account's: keep the record as it is then.
      if (isEmailTaken(err) && 'email' in patch.values) return record
      throw err
    }
  }

  private async saveLink(c: Collection, p: ProviderConfig, user: OAuth2User, record: RecordData, isNew: boolean): Promise<RecordData> {
    const { store } = this.deps
    // The link proves the record's address only when the provider verified that same address.
    const proven = user.email && user.email.toLowerCase() === String(record.email ?? '').toLowerCase() ? user.email : ''
    try {
      await this.links.insert(c, String(record.id), p.name, user.id, this.deps.clock.now(), proven)
      return record
    } catch (err) {
      if (!isUniqueViolation(err) && !(err instanceof ApiError && err.status === 400)) throw err
      // A concurrent first login of the same provider account won the race: use its record.
      const winner = await this.links.find(store, c, p.name, user.id)
      const other = winner && await loadRecord(store, c, winner.recordRef, store.dialect)
      if (other && isNew) await this.deps.writes.delete(c, record)
      if (other) return other
      throw badRequest(`The account is already linked to another ${p.displayName} account.`, {}, err)
    }
  }

}

/** The authorization response as openid-client expects it: redirect URI (query dropped) + the code. */
function callbackUrl(config: oidc.Configuration, input: Input): URL {
  const url = new URL(input.redirectURL)
  url.search = ''
  url.hash = ''
  url.searchParams.set('code', input.code)
  // RFC 9207 `iss` cannot survive the SDK's relay (only state/code reach us); we know the provider.
  const meta = config.serverMetadata()
  if (meta.authorization_response_iss_parameter_supported) url.searchParams.set('iss', meta.issuer)
  return url
}
