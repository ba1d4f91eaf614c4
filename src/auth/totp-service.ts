// TOTP authenticator apps as an MFA second factor (Basalt extension): enroll, verify, disable, auth-with-totp.
import type { Collection } from '../core/collections/types.ts'
import { ApiError, badRequest, fieldError, forbidden, unauthorized, type ErrorData } from '../core/errors.ts'
import { formatDate, type Clock } from '../core/clock.ts'
import { newRecordId } from '../core/ids.ts'
import { loadRecord } from '../core/records/record-io.ts'
import type { ReadQuery } from '../core/records/list-query.ts'
import type { SettingsService } from '../settings/settings-service.ts'
import { sql } from '../store/sql.ts'
import type { Executor, Store } from '../store/types.ts'
import type { AuthInfo, RecordData, RequestInfo } from '../rules/request-info.ts'
import type { AuthResponse, AuthService } from './auth-service.ts'
import { mfaIdOf } from './mfa.ts'
import { verifyPassword } from './passwords.ts'
import { base32Decode, base32Encode, hashRecoveryCode, matchTotp, newRecoveryCode, newTotpSecret, otpauthUri } from './totp.ts'
import { ErrorCode } from '../core/error-codes.ts'

/** Same budget as OTP: 5 wrong codes per record within 180 s, then 429 (a 6-digit code ±1 step is 3 in 10^6). */
const MAX_FAILURES = 5
const FAILURE_WINDOW_MS = 180_000
const RECOVERY_CODES = 10
const INVALID_CODE = 'Invalid or expired TOTP code.'

export interface TotpDeps { store: Store; clock: Clock; auth: AuthService; settings: Pick<SettingsService, 'get'> }

interface TotpRow {
  id: string; secret: string; active: number; recoveryCodes: string; lastStep: number; failures: number; lastFailure: string
}

type Proof = { code?: string; recoveryCode?: string }
type Outcome = 'ok' | 'invalid' | 'throttled'

function proofOf(body: Record<string, unknown>): Proof {
  const pick = (v: unknown) => (typeof v === 'string' && v && v.length <= 64 ? v.trim() : undefined)
  return { code: pick(body.code), recoveryCode: pick(body.recoveryCode) }
}

export class TotpService {
  constructor(private readonly deps: TotpDeps) {}

  async status(c: Collection, info: RequestInfo): Promise<{ enabled: boolean; pending: boolean }> {
    const row = await this.row(this.deps.store, c, this.self(c, info).record)
    return { enabled: !!row && Number(row.active) === 1, pending: !!row && Number(row.active) !== 1 }
  }

  /** Starts (or restarts) a pending enrollment. Nothing changes for login until `verify` proves the app has the secret. */
  async enroll(c: Collection, info: RequestInfo): Promise<{ secret: string; uri: string }> {
    const { record } = this.self(c, info)
    const secret = base32Encode(newTotpSecret())
    const at = formatDate(this.deps.clock.now())
    const id = String(record.id)
    const replaced = await this.deps.store.transaction(async (tx) => {
      const existing = await this.row(tx, c, record, true)
      if (existing && Number(existing.active) === 1) return false
      await tx.run(sql`DELETE FROM "_totp" WHERE "collectionRef" = ${c.id} AND "recordRef" = ${id}`)
      await tx.run(sql`INSERT INTO "_totp" ("id", "collectionRef", "recordRef", "secret", "created", "updated")
        VALUES (${newRecordId()}, ${c.id}, ${id}, ${secret}, ${at}, ${at})`)
      return true
    })
    if (!replaced) throw badRequest('TOTP is already enabled; disable it first.')
    const { meta } = await this.deps.settings.get()
    return { secret, uri: otpauthUri(meta.appName, String(record.email ?? id), secret) }
  }

  /** Activates a pending enrollment with a current code; returns the recovery codes (shown once, stored hashed). */
  async verify(c: Collection, info: RequestInfo, body: Record<string, unknown>): Promise<{ recoveryCodes: string[] }> {
    const { record } = this.self(c, info)
    const { code } = proofOf(body)
    if (!code) throw badRequest('Something went wrong while processing your request.', { code: fieldError(ErrorCode.required, 'Cannot be blank.') })
    const codes = Array.from({ length: RECOVERY_CODES }, newRecoveryCode)
    const outcome = await this.deps.store.transaction(async (tx) => {
      const row = await this.row(tx, c, record, true)
      if (!row || Number(row.active) === 1) return 'invalid' as const
      const result = await this.prove(tx, row, { code })
      if (result === 'ok') {
        await tx.run(sql`UPDATE "_totp" SET "active" = 1, "recoveryCodes" = ${JSON.stringify(codes.map(hashRecoveryCode))},
          "updated" = ${formatDate(this.deps.clock.now())} WHERE "id" = ${row.id}`)
      }
      return result
    })
    this.raise(outcome)
    return { recoveryCodes: codes }
  }

  /** Needs the password AND a code (or recovery code): a stolen token alone cannot remove the second factor. */
  async disable(c: Collection, info: RequestInfo, body: Record<string, unknown>): Promise<void> {
    const { record } = this.self(c, info)
    const proof = proofOf(body)
    const errors: ErrorData = {}
    if (typeof body.password !== 'string' || !body.password) errors.password = fieldError(ErrorCode.required, 'Cannot be blank.')
    if (!proof.code && !proof.recoveryCode) errors.code = fieldError(ErrorCode.required, 'Cannot be blank.')
    if (Object.keys(errors).length) throw badRequest('Something went wrong while processing your request.', errors)
    const fresh = await loadRecord(this.deps.store, c, String(record.id), this.deps.store.dialect)
    if (!fresh || !(await verifyPassword(String(fresh.password), body.password as string))) throw badRequest('Invalid password or TOTP code.')
    const outcome = await this.deps.store.transaction(async (tx) => {
      const row = await this.row(tx, c, record, true)
      if (!row || Number(row.active) !== 1) return 'invalid' as const
      const result = await this.prove(tx, row, proof)
      if (result === 'ok') await tx.run(sql`DELETE FROM "_totp" WHERE "id" = ${row.id}`)
      return result
    })
    this.raise(outcome, 'Invalid password or TOTP code.')
  }

  /** Second factor: `{mfaId, code | recoveryCode}` completes the MFA session a first factor opened. */
  async authWithTotp(c: Collection, body: Record<string, unknown>, q: ReadQuery, info: RequestInfo): Promise<AuthResponse> {
    if (!c.auth!.mfa.enabled) throw forbidden('The collection is not configured to require MFA.')
    const mfaId = mfaIdOf(info, body)
    const proof = proofOf(body)
    if (!proof.code && !proof.recoveryCode) throw badRequest('Something went wrong while processing your request.', { code: fieldError(ErrorCode.required, 'Cannot be blank.') })
    const session = mfaId && await this.deps.auth.mfa.find(c, mfaId)
    const record = session && await loadRecord(this.deps.store, c, session.recordRef, this.deps.store.dialect)
    if (!session || !record) throw badRequest('Invalid or expired MFA session.')
    const outcome = await this.deps.store.transaction(async (tx) => {
      const row = await this.row(tx, c, record, true)
      return row && Number(row.active) === 1 ? this.prove(tx, row, proof) : 'invalid' as const
    })
    this.raise(outcome)
    // Consumed here (atomic delete), not via respond's rule check: the TOTP must never count as a first factor.
    await this.deps.auth.mfa.complete(c, record, 'totp', session.id)
    return this.deps.auth.respond(c, record, q, info)
  }

  private self(c: Collection, info: RequestInfo): AuthInfo {
    if (!info.auth) throw unauthorized('The request requires valid record authorization token.')
    if (info.auth.collection.id !== c.id) throw forbidden('The request requires valid record authorization token of this collection.')
    return info.auth
  }

  private row(db: Executor, c: Collection, record: RecordData, lock = false): Promise<TotpRow | undefined> {
    const forUpdate = lock ? this.deps.store.dialect.forUpdate('t') : sql.empty
    return db.get<TotpRow>(sql`SELECT * FROM "_totp" AS "t" WHERE "collectionRef" = ${c.id} AND "recordRef" = ${String(record.id)}${forUpdate}`)
  }

  /**
   * Checks a code or recovery code against a locked row and records the result. A code is accepted only
   * for a step after the last accepted one (no replay, not even within its own 30 s); a recovery code
   * is removed from the list. Failures count towards the per-record throttle.
   */
  private async prove(tx: Executor, row: TotpRow, proof: Proof): Promise<Outcome> {
    const now = this.deps.clock.now()
    const recentFailure = row.lastFailure && Date.parse(row.lastFailure.replace(' ', 'T')) > now.getTime() - FAILURE_WINDOW_MS
    if (recentFailure && Number(row.failures) >= MAX_FAILURES) return 'throttled'
    let ok = false
    if (proof.code) {
      const step = matchTotp(base32Decode(row.secret), proof.code, Math.floor(now.getTime() / 1000))
      if (step !== null && step > Number(row.lastStep)) {
        const { changes } = await tx.run(sql`UPDATE "_totp" SET "lastStep" = ${step}, "failures" = 0 WHERE "id" = ${row.id} AND "lastStep" < ${step}`)
        ok = changes === 1
      }
    } else if (proof.recoveryCode) {
      const hashes = JSON.parse(row.recoveryCodes) as string[]
      const left = hashes.filter((h) => h !== hashRecoveryCode(proof.recoveryCode!))
      if (left.length < hashes.length) {
        const { changes } = await tx.run(sql`UPDATE "_totp" SET "recoveryCodes" = ${JSON.stringify(left)}, "failures" = 0
          WHERE "id" = ${row.id} AND "recoveryCodes" = ${row.recoveryCodes}`)
        ok = changes === 1
      }
    }
    if (ok) return 'ok'
    const failures = recentFailure ? Number(row.failures) + 1 : 1
    await tx.run(sql`UPDATE "_totp" SET "failures" = ${failures}, "lastFailure" = ${formatDate(now)} WHERE "id" = ${row.id}`)
    return 'invalid'
  }

  private raise(outcome: Outcome, invalid = INVALID_CODE): void {
    if (outcome === 'throttled') throw new ApiError(429, 'Too many attempts, please try again later.')
    if (outcome === 'invalid') throw badRequest(invalid)
  }
}
