// EmailFlows: verification, password reset and email change — mail a single-use token, then confirm it.
import { processLogger } from '../observability/logger.ts'
import type { Collection, PasswordField } from '../core/collections/types.ts'
import type { CollectionService } from '../core/collections/collection-service.ts'
import { fieldKind } from '../core/collections/fields/index.ts'
import { isEmail } from '../core/collections/fields/email.ts'
import { badRequest, fieldError, forbidden, hasErrors, unauthorized, type ErrorData } from '../core/errors.ts'
import { formatDate, type Clock } from '../core/clock.ts'
import { newTokenKey, randomString } from '../core/ids.ts'
import { loadRecord } from '../core/records/record-io.ts'
import type { RecordWrites } from '../core/records/record-writes.ts'
import type { ExternalAuths } from './oauth2/external-auths.ts'
import type { Mailer } from '../mail/mailer.ts'
import type { ChangeEvent } from '../realtime/types.ts'
import type { AuthInfo, RecordData } from '../rules/request-info.ts'
import type { Settings } from '../settings/settings.ts'
import { sql } from '../store/sql.ts'
import { isUniqueViolation, type Executor, type Store } from '../store/types.ts'
import { SUPERUSERS_NAME } from '../core/collections/types.ts'
import { hashPassword, verifyPassword } from './passwords.ts'
import { renderTemplate } from './templates.ts'
import { flowKey, MAIL_TEMPLATE, TOKEN_CONFIG, type Flow } from './flow-keys.ts'
import { peekClaims, signToken, verifyToken, type TokenClaims } from './tokens.ts'
import { ErrorCode } from '../core/error-codes.ts'

export interface EmailFlowsDeps {
  store: Store
  collections: CollectionService
  clock: Clock
  settings: () => Promise<Settings>
  mailer: Mailer
  /** The record write path (hooks, outbox, realtime after commit). */
  writes: RecordWrites
  /** Proving an address drops provider links that did not prove it. */
  externalAuths: ExternalAuths
  log?: (message: string, err?: unknown) => void
  /** A second request for the same record and flow within this window sends nothing (PocketBase: 2 min). */
  resendCooldownMs?: number
  /** Background sends beyond this are dropped (and logged) rather than queued without bound. */
  maxPending?: number
}

type Body = Record<string, unknown>

const MAX_EMAIL_LENGTH = 255
const required = () => fieldError(ErrorCode.required, 'Cannot be blank.')
const INVALID = {
  verification: 'Invalid or expired verification token.',
  passwordReset: 'Invalid or expired password reset token.',
  emailChange: 'Invalid or expired email change token.',
} as const

export class EmailFlows {
  private readonly pending = new Set<Promise<void>>()
  private readonly lastSent = new Map<string, number>()
  private readonly log: (message: string, err?: unknown) => void

  constructor(private readonly deps: EmailFlowsDeps) {
    this.log = deps.log ?? ((m, e) => processLogger().error({ err: e }, `email-flows: ${m}`))
  }

  // ---- requests: validate synchronously, do everything account-dependent in the background ----------

  /** 204 whatever the account state: the lookup runs after the response, so neither body nor timing tells. */
  requestVerification(c: Collection, body: Body): void {
    if (c.name === SUPERUSERS_NAME) throw badRequest('All superusers are verified by default.')
    const email = requireEmail(body.email)
    this.defer(`verification mail (${c.name})`, async () => {
      const record = await this.findByEmail(c, email)
      if (!record || record.verified) return
      await this.sendTokenMail(c, record, 'verification', String(record.email))
    })
  }

  requestPasswordReset(c: Collection, body: Body): void {
    if (!c.auth!.passwordAuth.enabled) throw badRequest('The collection is not configured to allow password authentication.')
    const email = requireEmail(body.email)
    this.defer(`password reset mail (${c.name})`, async () => {
      const record = await this.findByEmail(c, email)
      if (record) await this.sendTokenMail(c, record, 'passwordReset', String(record.email))
    })
  }

  /** Authenticated: the caller learns whether `newEmail` is taken, exactly as sign-up would tell anyone. */
  async requestEmailChange(c: Collection, auth: AuthInfo | null, body: Body): Promise<void> {
    if (c.name === SUPERUSERS_NAME) throw badRequest('All superusers can change their emails directly.')
    if (!auth) throw unauthorized('The request requires valid record authorization token.')
    if (auth.collection.id !== c.id) throw forbidden('The request requires valid record authorization token of this collection.')
    const record = await loadRecord(this.deps.store, c, String(auth.record.id), this.deps.store.dialect)
    if (!record) throw unauthorized('The request requires valid record authorization token.')
    const newEmail = body.newEmail
    const emailField = c.fields.find((f) => f.name === 'email')!
    let error = typeof newEmail !== 'string' || newEmail === '' ? required()
      : newEmail.length > MAX_EMAIL_LENGTH ? fieldError(ErrorCode.lengthOutOfRange, `Must be no more than ${MAX_EMAIL_LENGTH} characters.`)
        : await fieldKind('email')!.validate({ ...emailField, required: true } as never, newEmail, { isNew: false })
    if (!error && (newEmail as string).toLowerCase() === String(record.email).toLowerCase()) {
      error = fieldError(ErrorCode.notInInvalid, 'The new email must be different from the current one.')
    }
    if (!error && await this.findByEmail(c, newEmail as string)) error = fieldError(ErrorCode.notUnique, 'Value must be unique.')
    if (error) throw badRequest('Something went wrong while processing your request.', { newEmail: error })
    this.defer(`email change mail (${c.name})`, () => this.sendTokenMail(c, record, 'emailChange', newEmail as string, newEmail as string))
  }

  // ---- confirms ---------------------------------------------------------------------------------------

  async confirmVerification(c: Collection, body: Body): Promise<void> {
    if (c.name === SUPERUSERS_NAME) throw badRequest('All superusers are verified by default.')
    const token = requireToken(body.token)
    // Password-less collections get a random password, so a password set before verification dies (PocketBase).
    let randomPassword: string | undefined
    if (!c.auth!.passwordAuth.enabled) {
      // Cheap signature check before the argon2 work, as in confirmPasswordReset.
      if (!(await this.check(c, token, 'verification', this.deps.store))) return this.alreadyVerifiedOrThrow(c, token)
      randomPassword = await hashPassword(randomString(30))
    }
    const ok = await this.commit(c, token, 'verification', (rec) => {
      rec.verified = true
      if (randomPassword) { rec.password = randomPassword; rec.tokenKey = newTokenKey() }
    })
    if (!ok) return this.alreadyVerifiedOrThrow(c, token)
  }

  /**
   * PocketBase answers 204 to a confirmation of an address that is already verified. The token no longer
   * verifies (its key bound `verified=0`), so it is checked against the state it was issued for.
   */
  private async alreadyVerifiedOrThrow(c: Collection, token: string): Promise<void> {
    if (!(await this.wasIssuedBeforeVerification(c, token))) throw await this.invalidToken(c, token, 'verification')
  }

  async confirmPasswordReset(c: Collection, body: Body): Promise<void> {
    const token = requireToken(body.token, false)
    const password = body.password
    const errors: ErrorData = {}
    if (token === '') errors.token = required()
    const pwField = c.fields.find((f) => f.name === 'password') as PasswordField
    const pwError = await fieldKind('password')!.validate(pwField as never, typeof password === 'string' ? password : '', { isNew: true })
    if (pwError) errors.password = pwError
    if (body.passwordConfirm !== password) errors.passwordConfirm = fieldError(ErrorCode.valuesMismatch, "Values don't match.")
    if (hasErrors(errors)) throw badRequest('Something went wrong while processing your request.', errors)
    // Cheap signature check first: nobody gets an argon2 hash computed for a forged token.
    if (!(await this.check(c, token, 'passwordReset', this.deps.store))) throw await this.invalidToken(c, token, 'passwordReset')
    const hash = await hashPassword(password as string)
    const ok = await this.commit(c, token, 'passwordReset', (rec, claims) => {
      rec.password = hash
      rec.tokenKey = newTokenKey() // every older token of the record dies, this reset token included
      if (claims.email !== undefined && claims.email === rec.email) rec.verified = true
    })
    if (!ok) throw await this.invalidToken(c, token, 'passwordReset')
  }

  /**
   * Check order matters (SECURITY F3; PocketBase ≤0.37.4 looked the new email up before verifying the
   * signature, so a forged token probed for accounts): signature → current password → email taken.
   * Only the record's owner, holding a genuine token and the password, can reach the "taken" answer.
   */
  async confirmEmailChange(c: Collection, body: Body): Promise<void> {
    if (c.name === SUPERUSERS_NAME) throw badRequest('All superusers can change their emails directly.')
    const token = requireToken(body.token, false)
    const password = body.password
    const errors: ErrorData = {}
    if (token === '') errors.token = required()
    if (typeof password !== 'string' || password === '') errors.password = required()
    if (hasErrors(errors)) throw badRequest('Something went wrong while processing your request.', errors)
    const found = await this.check(c, token, 'emailChange', this.deps.store)
    if (!found) throw await this.invalidToken(c, token, 'emailChange')
    if (!(await verifyPassword(String(found.record.password), password as string))) {
      throw badRequest('Something went wrong while processing your request.', { password: fieldError(ErrorCode.invalidPassword, 'Missing or invalid auth record password.') })
    }
    const taken = () => badRequest('Something went wrong while processing your request.', { token: fieldError(ErrorCode.existingTokenEmail, 'The new email address is already registered.') })
    const other = await this.findByEmail(c, found.claims.newEmail!)
    if (other && other.id !== found.record.id) throw taken()
    let ok: boolean
    try {
      ok = await this.commit(c, token, 'emailChange', (rec, claims) => {
        rec.email = claims.newEmail!
        rec.verified = true
        rec.tokenKey = newTokenKey()
      })
    } catch (err) {
      if (isUniqueViolation(err)) throw taken() // registered between the check above and the write
      throw err
    }
    if (!ok) throw await this.invalidToken(c, token, 'emailChange')
  }

  /** Resolves when every background send started so far has finished (tests; graceful shutdown). */
  async idle(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending])
  }

  // ---- internals ---------------------------------------------------------------------------------------

  /**
   * The 400 for a token that does not confirm anything here, with PocketBase's `data.token` code:
   * `validation_token_collection_mismatch` when it is a genuine token of another auth collection (its
   * claims are readable by whoever holds it, so this reveals nothing new), else `validation_invalid_token`.
   */
  private async invalidToken(c: Collection, token: string, type: Flow) {
    const peeked = peekClaims(token)
    const other = peeked && peeked.type === type && peeked.collectionId !== c.id ? this.deps.collections.find(peeked.collectionId) : undefined
    const genuineElsewhere = other?.auth ? !!(await this.check(other, token, type, this.deps.store)) : false
    const error = genuineElsewhere
      ? fieldError(ErrorCode.tokenCollectionMismatch, 'The provided token is for different auth collection.')
      : fieldError(ErrorCode.invalidToken, 'Invalid or expired token.')
    return badRequest(INVALID[type], { token: error })
  }

  /** True when `token` is a genuine verification token for the record's address, issued before it was verified. */
  private async wasIssuedBeforeVerification(c: Collection, token: string): Promise<boolean> {
    const peeked = peekClaims(token)
    if (!peeked || peeked.type !== 'verification' || peeked.collectionId !== c.id) return false
    const record = await loadRecord(this.deps.store, c, peeked.id, this.deps.store.dialect)
    if (!record?.verified) return false
    const claims = await verifyToken(token, {
      tokenKey: String(record.tokenKey), secret: flowKey(c, 'verification', { ...record, verified: false }),
      allowedTypes: ['verification'], now: this.deps.clock.now(),
    })
    return !!claims && claims.id === record.id && claims.email === record.email
  }

  /**
   * Verifies `token` as a `type` token of collection `c` against the record as stored in `db` (with a row
   * lock when `forUpdate`). The key binds the record state the flow changes (see flow-keys.ts), so a
   * token stops verifying the moment it has been used.
   */
  private async check(c: Collection, token: string, type: Flow, db: Executor, forUpdate = false): Promise<{ record: RecordData; claims: TokenClaims } | null> {
    const peeked = peekClaims(token)
    if (!peeked || peeked.type !== type || peeked.collectionId !== c.id) return null
    const record = await loadRecord(db, c, peeked.id, this.deps.store.dialect, undefined, { forUpdate })
    if (!record) return null
    const claims = await verifyToken(token, {
      tokenKey: String(record.tokenKey), secret: flowKey(c, type, record), allowedTypes: [type], now: this.deps.clock.now(),
    })
    if (!claims || claims.id !== record.id || claims.collectionId !== c.id || typeof claims.email !== 'string') return null
    // Verification and email-change tokens speak about the current address; a stale one is void.
    if (type !== 'passwordReset' && claims.email !== record.email) return null
    if (type === 'emailChange' && !claims.newEmail) return null
    return { record, claims }
  }

  /**
   * Re-verifies the token against the row locked inside one transaction, applies `mutate`, writes.
   * Concurrent confirms of one token serialize on the lock; the first changes the key-bound state
   * (verified, tokenKey) and every later one fails verification: exactly one success (SECURITY M5).
   */
  private async commit(c: Collection, token: string, type: Flow, mutate: (rec: RecordData, claims: TokenClaims) => void): Promise<boolean> {
    const saved = await this.deps.store.transaction(async (tx) => {
      const found = await this.check(c, token, type, tx, true)
      if (!found) return null
      const rec: RecordData = { ...found.record }
      mutate(rec, found.claims)
      const saved = await this.deps.writes.update(c, found.record, rec)
      // Each of these flows proves the (new) address: links that never proved it go.
      await this.deps.externalAuths.removeUnproven(c, String(rec.id), String(rec.email))
      return saved
    })
    return !!saved
  }

  private async findByEmail(c: Collection, email: string): Promise<RecordData | undefined> {
    const d = this.deps.store.dialect
    const row = await this.deps.store.get(sql`SELECT "id" FROM ${d.ident(c.name)} WHERE ${d.equalsIgnoreCase(d.ident('email'), sql`${email}`)} LIMIT 1`)
    return row ? loadRecord(this.deps.store, c, String(row.id), d) : undefined
  }

  private async sendTokenMail(c: Collection, record: RecordData, type: Flow, to: string, newEmail?: string): Promise<void> {
    const cooldownKey = `${type}:${c.id}:${record.id}:${newEmail?.toLowerCase() ?? ''}`
    if (!this.claimCooldown(cooldownKey)) return
    const cfg = c.auth![TOKEN_CONFIG[type]]
    const token = await signToken(
      { type, id: String(record.id), collectionId: c.id, email: String(record.email), ...(newEmail ? { newEmail } : {}) },
      { tokenKey: String(record.tokenKey), secret: flowKey(c, type, record), durationSeconds: cfg.duration, now: this.deps.clock.now() },
    )
    const { meta } = await this.deps.settings()
    const mail = renderTemplate(c.auth![MAIL_TEMPLATE[type]], { appName: meta.appName, appURL: meta.appURL, token, record })
    try {
      await this.deps.mailer.send({ to, ...mail })
    } catch (err) {
      this.lastSent.delete(cooldownKey) // a failed delivery must not block the user's retry
      throw err
    }
  }

  /** True (and the window starts) unless a mail for `key` went out within the cooldown. Per process. */
  private claimCooldown(key: string): boolean {
    const window = this.deps.resendCooldownMs ?? 120_000
    const now = Date.now()
    if (this.lastSent.size > 10_000) for (const [k, at] of this.lastSent) if (now - at >= window) this.lastSent.delete(k)
    const last = this.lastSent.get(key)
    if (last !== undefined && now - last < window) return false
    this.lastSent.set(key, now)
    return true
  }

  /** Runs `job` after the response was written; failures are logged, never unhandled (SECURITY J8). */
  private defer(what: string, job: () => Promise<void>): void {
    if (this.pending.size >= (this.deps.maxPending ?? 1000)) { this.log(`${what}: too many pending mails, dropped`); return }
    const p: Promise<void> = new Promise<void>((r) => setImmediate(r))
      .then(job)
      .catch((err) => this.log(`${what} failed`, err))
      .finally(() => this.pending.delete(p))
    this.pending.add(p)
  }
}

function requireEmail(value: unknown): string {
  if (typeof value !== 'string' || value === '') throw badRequest('Something went wrong while processing your request.', { email: required() })
  if (value.length > MAX_EMAIL_LENGTH || !isEmail(value)) {
    throw badRequest('Something went wrong while processing your request.', { email: fieldError(ErrorCode.isEmail, 'Must be a valid email address.') })
  }
  return value
}

function requireToken(value: unknown, strict = true): string {
  const token = typeof value === 'string' ? value : ''
  if (strict && token === '') throw badRequest('Something went wrong while processing your request.', { token: required() })
  return token
}
