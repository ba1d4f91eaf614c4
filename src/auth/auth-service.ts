// AuthService: resolves request tokens to auth records, password login, token refresh, auth-methods, MFA on login.
import type { Collection } from '../core/collections/types.ts'
import type { CollectionService } from '../core/collections/collection-service.ts'
import type { RecordService } from '../core/records/record-service.ts'
import { loadRecord, rowToRecord } from '../core/records/record-io.ts'
import type { ReadQuery } from '../core/records/list-query.ts'
import { ApiError, badRequest, forbidden, notFound, unauthorized } from '../core/errors.ts'
import { withResponder, type HookRegistry } from '../core/hooks/registry.ts'
import { RecordModel } from '../core/records/record-model.ts'
import type { Clock } from '../core/clock.ts'
import { sql } from '../store/sql.ts'
import type { Store } from '../store/types.ts'
import type { AuthInfo, RequestInfo } from '../rules/request-info.ts'
import { burnVerification, verifyPassword } from './passwords.ts'
import { rehashIfNeeded } from './rehash.ts'
import { peekClaims, signToken, verifyToken, type TokenType } from './tokens.ts'
import { MfaService, mfaIdOf, type AuthMethod } from './mfa.ts'
import { oauth2AuthMethods } from './oauth2/auth-methods.ts'
import { ErrorCode } from '../core/error-codes.ts'
import type { AuthAlerts } from './auth-alerts.ts'

export interface AuthResponse { token: string; record: unknown; meta?: unknown }

export type AuthRequestHook = 'onRecordAuthWithPasswordRequest' | 'onRecordAuthWithOTPRequest' | 'onRecordAuthWithOAuth2Request' | 'onRecordAuthRefreshRequest'
const AUTH_METHOD: Record<AuthRequestHook, string> = {
  onRecordAuthWithPasswordRequest: 'password', onRecordAuthWithOTPRequest: 'otp', onRecordAuthWithOAuth2Request: 'oauth2', onRecordAuthRefreshRequest: 'refresh',
}

/**
 * `method` names the factor that just succeeded and turns MFA on for this response (refresh and
 * impersonate pass none, so they never trigger it); `mfaId` defaults to `?mfaId=` or the body's `mfaId`.
 */
export interface RespondOptions { token?: string; method?: AuthMethod; mfaId?: string }

const MAX_IDENTITY_LENGTH = 255

export class AuthService {
  readonly mfa: MfaService

  constructor(private readonly deps: { store: Store; collections: CollectionService; records: RecordService; clock: Clock; hooks: HookRegistry; alerts?: AuthAlerts }) {
    this.mfa = new MfaService(deps)
  }

  /**
   * Runs a login-method request hook (`onRecordAuthWithPasswordRequest`, …) around `action`. Handlers
   * may read `e.identity`, refuse by throwing, or continue with `e.next()`; `e.record` is the
   * authenticated record once next() returned.
   */
  async authRequestHook(name: AuthRequestHook, c: Collection, info: RequestInfo, extra: { identity?: string }, action: () => Promise<AuthResponse>): Promise<AuthResponse> {
    const hook = this.deps.hooks[name]
    if (!hook.has([c.id, c.name])) return action()
    const e = withResponder({ collection: c, record: null as RecordModel | null, authMethod: AUTH_METHOD[name], requestInfo: info, auth: info.auth, ...extra })
    let out: AuthResponse | undefined
    await hook.trigger(e, async () => {
      out = await action()
      e.record = new RecordModel(c, { ...(out.record as Record<string, unknown>) }, null)
    }, [c.id, c.name])
    if (e.response) throw new ApiError(e.response.status as never, String((e.response.body as { message?: unknown })?.message ?? ''), {})
    if (!out) throw forbidden('The request was stopped by a hook.')
    return out
  }

  /** Token → auth record. Any invalid, expired or revoked token yields null (the request is a guest). */
  async authenticate(token: string | null, allowedTypes: TokenType[] = ['auth']): Promise<AuthInfo | null> {
    if (!token) return null
    const claims = peekClaims(token)
    if (!claims) return null
    const c = this.deps.collections.find(claims.collectionId)
    if (!c?.auth || c.id !== claims.collectionId) return null
    const record = await loadRecord(this.deps.store, c, claims.id, this.deps.store.dialect)
    if (!record) return null
    const secret = tokenSecret(c, claims.type)
    if (!secret) return null
    const verified = await verifyToken(token, { tokenKey: String(record.tokenKey), secret, allowedTypes, now: this.deps.clock.now() })
    return verified ? { collection: c, record } : null
  }

  async issueAuthToken(c: Collection, record: Record<string, unknown>, opts: { refreshable?: boolean; durationSeconds?: number } = {}): Promise<string> {
    return signToken(
      { type: 'auth', id: String(record.id), collectionId: c.id, refreshable: opts.refreshable ?? true },
      { tokenKey: String(record.tokenKey), secret: c.auth!.authToken.secret, durationSeconds: opts.durationSeconds || c.auth!.authToken.duration, now: this.deps.clock.now() },
    )
  }

  authCollection(idOrName: string): Collection {
    const c = this.deps.collections.find(idOrName)
    if (!c || c.type !== 'auth' || !c.auth) throw notFound('Missing or invalid auth collection context.')
    return c
  }

  async authWithPassword(c: Collection, body: Record<string, unknown>, q: ReadQuery, info: RequestInfo): Promise<AuthResponse> {
    if (!c.auth!.passwordAuth.enabled) throw forbidden('The collection is not configured to allow password authentication.')
    const identity = body.identity, password = body.password, identityField = body.identityField
    const errors: Record<string, { code: string; message: string }> = {}
    if (typeof identity !== 'string' || !identity || identity.length > MAX_IDENTITY_LENGTH) errors.identity = { code: ErrorCode.required, message: 'Cannot be blank.' }
    if (typeof password !== 'string' || !password || password.length > MAX_IDENTITY_LENGTH) errors.password = { code: ErrorCode.required, message: 'Cannot be blank.' }
    const fields = c.auth!.passwordAuth.identityFields
    if (identityField !== undefined && identityField !== '' && (typeof identityField !== 'string' || !fields.includes(identityField))) {
      errors.identityField = { code: ErrorCode.inInvalid, message: 'Must be a valid value.' }
    }
    if (Object.keys(errors).length) throw badRequest('Something went wrong while processing your request.', errors)

    return this.authRequestHook('onRecordAuthWithPasswordRequest', c, info, { identity: identity as string }, async () => {
      const record = await this.findByIdentity(c, identity as string, identityField ? [identityField as string] : fields)
      const ok = record ? await verifyPassword(String(record.password), password as string) : (await burnVerification(password as string), false)
      if (!record || !ok) throw badRequest('Failed to authenticate.')
      // Imported PocketBase (bcrypt) hashes become argon2id on the first successful login.
      await rehashIfNeeded(this.deps.store, c, record, password as string)
      return this.respond(c, record, q, { ...info, context: 'password' }, { method: 'password', mfaId: mfaIdOf(info, body) })
    })
  }

  async refresh(c: Collection, q: ReadQuery, info: RequestInfo, token: string | null): Promise<AuthResponse> {
    if (!info.auth) throw unauthorized('The request requires valid record authorization token.')
    if (info.auth.collection.id !== c.id) throw forbidden('The request requires valid record authorization token of this collection.')
    const claims = token ? peekClaims(token) : null
    const reuse = claims && claims.refreshable === false
    const record = info.auth.record
    return this.authRequestHook('onRecordAuthRefreshRequest', c, info, {}, () => this.respond(c, record, q, info, reuse ? token! : undefined))
  }

  /**
   * Builds the auth response after checking the collection's authRule and, when a login `method` is
   * given, MFA (§4.6: may throw 401 {mfaId}). The 5th argument may still be a bare token (older callers).
   */
  async respond(c: Collection, record: Record<string, unknown>, q: ReadQuery, info: RequestInfo, tokenOrOpts?: string | RespondOptions, method?: AuthMethod): Promise<AuthResponse> {
    const opts: RespondOptions = typeof tokenOrOpts === 'string' ? { token: tokenOrOpts } : { ...tokenOrOpts }
    opts.method ??= method
    const token = opts.token
    const asSelf: RequestInfo = { ...info, auth: { collection: c, record } }
    const ctx = this.deps.records.readContext(asSelf)
    if (!(await this.deps.records.passesRule(ctx, c, 'authRule', String(record.id)))) {
      throw forbidden("The request doesn't satisfy the collection requirements to authenticate.")
    }
    if (opts.method) {
      await this.mfa.check(c, record, opts.method, opts.mfaId ?? mfaIdOf(info), asSelf)
      // A completed login (every factor passed): remember the device, mail the owner if it is new.
      await this.deps.alerts?.noteLogin(c, record, { ip: info.ip ?? '', userAgent: info.headers.user_agent ?? '' })
    }
    const build = async (rec: Record<string, unknown>, t: string): Promise<AuthResponse> =>
      ({ token: t, record: (await this.deps.records.present(ctx, c, [rec], q, { alwaysEmail: true }))[0] })
    const hook = this.deps.hooks.onRecordAuthRequest
    if (!hook.has([c.id, c.name])) return build(record, token ?? await this.issueAuthToken(c, record))
    // onRecordAuthRequest: every successful auth response (any method, refresh); handlers may change the record or token.
    const e = withResponder({ collection: c, record: new RecordModel(c, { ...record }, record) as RecordModel | null, authMethod: opts.method ?? 'refresh', token: token ?? await this.issueAuthToken(c, record), requestInfo: info, auth: info.auth })
    let out: AuthResponse | undefined
    await hook.trigger(e, async () => {
      out = await build(e.record!.data, e.token!)
      // Computed fields a handler added (withCustomData) travel with the response record.
      const schema = new Set(c.fields.map((f) => f.name))
      for (const [k, v] of Object.entries(e.record!.data)) if (!schema.has(k)) (out.record as Record<string, unknown>)[k] = v
    }, [c.id, c.name])
    if (!out) throw forbidden('The request was stopped by a hook.')
    return out
  }

  /** Async: OAuth2 providers may need discovery (cached) to build their authURL. */
  async authMethods(c: Collection): Promise<Record<string, unknown>> {
    const a = c.auth!
    const oauth2 = await oauth2AuthMethods(c)
    return {
      password: { enabled: a.passwordAuth.enabled, identityFields: a.passwordAuth.identityFields },
      oauth2,
      mfa: { enabled: a.mfa.enabled, duration: a.mfa.enabled ? a.mfa.duration : 0 },
      otp: { enabled: a.otp.enabled, duration: a.otp.enabled ? a.otp.duration : 0 },
      usernamePassword: a.passwordAuth.enabled && a.passwordAuth.identityFields.includes('username'),
      emailPassword: a.passwordAuth.enabled && a.passwordAuth.identityFields.includes('email'),
      authProviders: oauth2.enabled ? oauth2.providers : null,
    }
  }

  private async findByIdentity(c: Collection, identity: string, fields: string[]) {
    // Email first when the identity looks like one (PocketBase's order).
    const ordered = [...fields].sort((a, b) => (a === 'email' ? -1 : b === 'email' ? 1 : 0))
    for (const name of ordered) {
      if (name === 'email' && !identity.includes('@')) continue
      if (!c.fields.some((f) => f.name === name)) continue
      const col = this.deps.store.dialect.ident(name)
      const cond = name === 'email' ? this.deps.store.dialect.equalsIgnoreCase(col, sql`${identity}`) : sql`${col} = ${identity}`
      const row = await this.deps.store.get(sql`SELECT * FROM ${this.deps.store.dialect.ident(c.name)} WHERE ${cond} LIMIT 1`)
      if (row) return rowToRecord(c, row)
    }
    return undefined
  }
}

function tokenSecret(c: Collection, type: TokenType): string | undefined {
  const a = c.auth!
  return ({ auth: a.authToken, file: a.fileToken, verification: a.verificationToken, passwordReset: a.passwordResetToken, emailChange: a.emailChangeToken })[type]?.secret
}
