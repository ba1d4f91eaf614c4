// Email one-time passwords (`_otps`): request-otp mails a code, auth-with-otp consumes it once (PocketBase §4.2).
import { processLogger, type Logger } from '../observability/logger.ts'
import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto'
import type { Collection, EmailTemplate } from '../core/collections/types.ts'
import { ApiError, badRequest, fieldError, forbidden, type ErrorData } from '../core/errors.ts'
import { formatDate, type Clock } from '../core/clock.ts'
import { newRecordId, newTokenKey, randomString } from '../core/ids.ts'
import { loadRecord, rowToRecord } from '../core/records/record-io.ts'
import type { ReadQuery } from '../core/records/list-query.ts'
import type { Mailer } from '../mail/mailer.ts'
import type { SettingsService } from '../settings/settings-service.ts'
import { sql } from '../store/sql.ts'
import type { Executor, Store } from '../store/types.ts'
import type { RecordData, RequestInfo } from '../rules/request-info.ts'
import type { AuthResponse, AuthService } from './auth-service.ts'
import { mfaIdOf } from './mfa.ts'
import { hashPassword } from './passwords.ts'
import type { RecordWrites } from '../core/records/record-writes.ts'
import type { ExternalAuths } from './oauth2/external-auths.ts'
import { ErrorCode } from '../core/error-codes.ts'

/** PocketBase: 5 attempts per record within 180 s, then 429 — digit codes are cheap to guess otherwise. */
export const OTP_MAX_ATTEMPTS = 5
export const OTP_ATTEMPT_WINDOW_MS = 180_000
/** Beyond this many live codes per record, the latest id is returned and nothing is mailed (inbox flooding). */
const MAX_LIVE_OTPS = 10
const INVALID = 'Invalid or expired OTP'

export interface OtpDeps {
  store: Store
  clock: Clock
  auth: AuthService
  mailer: Mailer
  settings: Pick<SettingsService, 'get'>
  writes: RecordWrites
  externalAuths: ExternalAuths
  logger?: Pick<Logger, 'error'>
}

interface OtpRow { id: string; collectionRef: string; recordRef: string; password: string; sentTo: string; attempts: number; created: string }

type Outcome = { kind: 'ok'; record: RecordData } | { kind: 'invalid' } | { kind: 'throttled' }

/** `otp.length` digits, each drawn with randomInt (CSPRNG, no modulo bias). */
export function newOtpCode(length: number): string {
  let code = ''
  for (let i = 0; i < Math.max(4, length); i++) code += String(randomInt(10))
  return code
}

/** `salt:sha256(salt‖code)` — codes live minutes and attempts are capped, so a fast salted hash suffices at rest. */
export function hashOtp(code: string, salt = randomBytes(16).toString('hex')): string {
  return `${salt}:${createHash('sha256').update(salt).update(code).digest('hex')}`
}

export function otpMatches(stored: string, code: string): boolean {
  const [salt, digest] = stored.split(':')
  if (!salt || !digest) return false
  const actual = Buffer.from(hashOtp(code, salt).split(':')[1], 'hex')
  const expected = Buffer.from(digest, 'hex')
  return actual.length === expected.length && timingSafeEqual(actual, expected)
}

function escapeHtml(v: string): string {
  return v.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)
}

/** {APP_NAME} {APP_URL} {OTP} {OTP_ID}, one pass (a value containing "{OTP}" is never re-expanded). */
export function renderOtpMail(t: EmailTemplate, vars: Record<'APP_NAME' | 'APP_URL' | 'OTP' | 'OTP_ID', string>) {
  const fill = (text: string, enc: (v: string) => string) =>
    text.replace(/\{(APP_NAME|APP_URL|OTP|OTP_ID)\}/g, (_m, k: keyof typeof vars) => enc(vars[k]))
  // eslint-disable-next-line no-control-regex
  return { subject: fill(t.subject, (v) => v).replace(/[\u0000-\u001f\u007f]+/g, ' '), html: fill(t.body, escapeHtml) }
}

export class OtpService {
  constructor(private readonly deps: OtpDeps) {}

  async request(c: Collection, body: Record<string, unknown>): Promise<{ otpId: string }> {
    if (!c.auth!.otp.enabled) throw forbidden('The collection is not configured to allow OTP authentication.')
    const email = body.email
    const errors: ErrorData = {}
    if (typeof email !== 'string' || !email.trim()) errors.email = fieldError(ErrorCode.required, 'Cannot be blank.')
    else if (email.length > 255 || !/^[^@\s]+@[^@\s]+$/.test(email)) errors.email = fieldError(ErrorCode.isEmail, 'Must be a valid email address.')
    if (Object.keys(errors).length) throw badRequest('Something went wrong while processing your request.', errors)

    const { store, clock } = this.deps
    const d = store.dialect
    const row = await store.get(sql`SELECT * FROM ${d.ident(c.name)} WHERE ${d.equalsIgnoreCase(d.ident('email'), sql`${email as string}`)} LIMIT 1`)
    const record = row ? rowToRecord(c, row) : undefined
    // Same work whether or not the email is known (code, hash, one write transaction): no enumeration by timing.
    const code = newOtpCode(c.auth!.otp.length)
    const hashed = hashOtp(code)
    const now = clock.now()
    const issued = await store.transaction(async (tx) => {
      await tx.run(sql`DELETE FROM "_otps" WHERE "collectionRef" = ${c.id} AND "created" < ${formatDate(new Date(now.getTime() - this.keepMs(c)))}`)
      if (!record) return null
      const live = await tx.all<{ id: string }>(sql`SELECT "id" FROM "_otps" WHERE "collectionRef" = ${c.id} AND "recordRef" = ${String(record.id)}
        AND "created" > ${formatDate(new Date(now.getTime() - c.auth!.otp.duration * 1000))} ORDER BY "created" DESC LIMIT ${MAX_LIVE_OTPS}`)
      if (live.length >= MAX_LIVE_OTPS) return { id: live[0].id, fresh: false }
      const id = newRecordId()
      const at = formatDate(now)
      await tx.run(sql`INSERT INTO "_otps" ("id", "collectionRef", "recordRef", "password", "sentTo", "created", "updated")
        VALUES (${id}, ${c.id}, ${String(record.id)}, ${hashed}, ${String(record.email)}, ${at}, ${at})`)
      return { id, fresh: true }
    })
    if (!issued) return { otpId: newRecordId() }
    // Mailed in the background so the response time does not depend on SMTP (or reveal that a mail was sent).
    if (issued.fresh) void this.mail(c, String(record!.email), code, issued.id)
    return { otpId: issued.id }
  }

  async authWithOtp(c: Collection, body: Record<string, unknown>, q: ReadQuery, info: RequestInfo): Promise<AuthResponse> {
    if (!c.auth!.otp.enabled) throw forbidden('The collection is not configured to allow OTP authentication.')
    const { otpId, password } = body
    const errors: ErrorData = {}
    if (typeof otpId !== 'string' || !otpId || otpId.length > 255) errors.otpId = fieldError(ErrorCode.required, 'Cannot be blank.')
    if (typeof password !== 'string' || !password || password.length > 255) errors.password = fieldError(ErrorCode.required, 'Cannot be blank.')
    if (Object.keys(errors).length) throw badRequest('Something went wrong while processing your request.', errors)

    return this.deps.auth.authRequestHook('onRecordAuthWithOTPRequest', c, info, {}, () => this.consumeAndRespond(c, body, q, info))
  }

  private async consumeAndRespond(c: Collection, body: Record<string, unknown>, q: ReadQuery, info: RequestInfo): Promise<AuthResponse> {
    const { otpId, password } = body
    const { store } = this.deps
    const pre = await store.get<OtpRow>(sql`SELECT * FROM "_otps" WHERE "id" = ${otpId as string} AND "collectionRef" = ${c.id}`)
    if (!pre) throw badRequest(INVALID)

    const outcome = await store.transaction((tx) => this.consume(tx, c, pre.recordRef, otpId as string, password as string))
    // Decided inside, thrown outside: a failed attempt's counter must commit, not roll back with the error.
    if (outcome.kind === 'throttled') throw new ApiError(429, 'Too many attempts, please try again later with a new OTP.')
    if (outcome.kind === 'invalid') throw badRequest(INVALID)
    return this.deps.auth.respond(c, outcome.record, q, { ...info, context: 'otp' }, { method: 'otp', mfaId: mfaIdOf(info, body) })
  }

  /**
   * One attempt, serialized per record: the record row is locked first (PostgreSQL `FOR UPDATE`; SQLite
   * serializes writers), so the attempt count and the single-use delete cannot interleave. The delete is
   * conditional, so only one of N concurrent correct submissions sees `changes = 1`.
   */
  private async consume(tx: Executor, c: Collection, recordId: string, otpId: string, code: string): Promise<Outcome> {
    const d = this.deps.store.dialect
    const record = await loadRecord(tx, c, recordId, d, undefined, { forUpdate: true })
    const otp = record && await tx.get<OtpRow>(sql`SELECT * FROM "_otps" WHERE "id" = ${otpId} AND "collectionRef" = ${c.id} AND "recordRef" = ${recordId}`)
    if (!record || !otp) return { kind: 'invalid' }
    const now = this.deps.clock.now()
    const windowStart = formatDate(new Date(now.getTime() - OTP_ATTEMPT_WINDOW_MS))
    const recent = await tx.get<{ n: number }>(sql`SELECT COALESCE(SUM("attempts"), 0) AS "n" FROM "_otps"
      WHERE "collectionRef" = ${c.id} AND "recordRef" = ${recordId} AND "lastAttempt" >= ${windowStart}`)
    if (Number(recent?.n ?? 0) >= OTP_MAX_ATTEMPTS) return { kind: 'throttled' }
    const expired = Date.parse(otp.created.replace(' ', 'T')) + c.auth!.otp.duration * 1000 <= now.getTime()
    if (expired || Number(otp.attempts) >= OTP_MAX_ATTEMPTS) return { kind: 'invalid' }
    if (!otpMatches(otp.password, code)) {
      await tx.run(sql`UPDATE "_otps" SET "attempts" = "attempts" + 1, "lastAttempt" = ${formatDate(now)} WHERE "id" = ${otpId}`)
      return { kind: 'invalid' }
    }
    const { changes } = await tx.run(sql`DELETE FROM "_otps" WHERE "id" = ${otpId} AND "attempts" < ${OTP_MAX_ATTEMPTS}`)
    if (changes !== 1) return { kind: 'invalid' }
    // Only an OTP mailed to the current address proves ownership of it (the email may have changed since).
    if (!record.verified && otp.sentTo === record.email) {
      // As PocketBase does when MFA is off: whoever pre-registered this address must not keep a working
      // password (nor its sessions). Hashed here, on success only, so failed attempts cost no argon2 work.
      const reset = c.auth!.mfa.enabled ? {} : { password: await hashPassword(randomString(40)), tokenKey: newTokenKey() }
      const saved = await this.deps.writes.update(c, record, { ...record, verified: true, ...reset })
      // The address is proven now: provider links that never proved it go (account pre-hijacking).
      await this.deps.externalAuths.removeUnproven(c, recordId, String(record.email))
      return { kind: 'ok', record: saved }
    }
    return { kind: 'ok', record }
  }

  /** Rows are kept past expiry for the attempt window, so burning a code does not reset the throttle. */
  private keepMs(c: Collection): number {
    return Math.max(c.auth!.otp.duration * 1000, OTP_ATTEMPT_WINDOW_MS)
  }

  private async mail(c: Collection, to: string, code: string, otpId: string): Promise<void> {
    try {
      const s = await this.deps.settings.get()
      const m = renderOtpMail(c.auth!.otp.emailTemplate, { APP_NAME: s.meta.appName, APP_URL: s.meta.appURL.replace(/\/+$/, ''), OTP: code, OTP_ID: otpId })
      await this.deps.mailer.send({ to, ...m })
    } catch (err) {
      // Never the code or the address in the log line.
      (this.deps.logger ?? processLogger()).error(`otp: sending the OTP email failed: ${(err as Error)?.message ?? err}`)
    }
  }
}
