// MFA sessions (`_mfas`): a first factor opens one (401 {mfaId}); a different second factor closes it (PocketBase §4.6).
import type { Collection } from '../core/collections/types.ts'
import type { RecordService } from '../core/records/record-service.ts'
import { compileOrFail } from '../core/records/read-context.ts'
import { loadRecord, MAIN_ALIAS } from '../core/records/record-io.ts'
import { ApiError, badRequest } from '../core/errors.ts'
import { formatDate, type Clock } from '../core/clock.ts'
import { newRecordId } from '../core/ids.ts'
import { sql } from '../store/sql.ts'
import type { Store } from '../store/types.ts'
import type { RecordData, RequestInfo } from '../rules/request-info.ts'

/** How the current request proved the identity. `totp` exists only as a second factor (Basalt extension). */
export type AuthMethod = 'password' | 'otp' | 'oauth2' | 'totp'

export interface MfaRow { id: string; collectionRef: string; recordRef: string; method: string; created: string }

/**
 * PocketBase answers a first factor with 401 and a body of only `{"mfaId": "…"}` (no status/message),
 * which the SDK surfaces as `err.response.mfaId`. Subclassing ApiError keeps the shared error handler unchanged.
 */
export class MfaRequiredError extends ApiError {
  constructor(readonly mfaId: string) {
    super(401)
  }

  override toJSON() {
    return { mfaId: this.mfaId } as unknown as ReturnType<ApiError['toJSON']>
  }
}

const INVALID_OR_EXPIRED = 'Invalid or expired MFA session.'

/** `mfaId` from the query (how the SDK sends unknown options) or the body. Non-strings are ignored. */
export function mfaIdOf(info: Pick<RequestInfo, 'query' | 'body'>, body: Record<string, unknown> = info.body): string | undefined {
  const v = info.query.mfaId || body.mfaId
  return typeof v === 'string' && v ? v : undefined
}

export class MfaService {
  constructor(private readonly deps: { store: Store; records: RecordService; clock: Clock }) {}

  /**
   * Runs MFA for a successful factor `method`. Returns when the login may proceed (MFA off, rule not
   * matching, or `mfaId` completed by a different method); throws MfaRequiredError when this was the first factor.
   */
  async check(c: Collection, record: RecordData, method: AuthMethod, mfaId: string | undefined, info: RequestInfo): Promise<void> {
    const mfa = c.auth!.mfa
    if (!mfa.enabled || !(await this.ruleApplies(c, record, info))) return
    if (mfaId) return this.complete(c, record, method, mfaId)
    if (method === 'totp') throw badRequest(INVALID_OR_EXPIRED) // TOTP can only be a second factor
    throw new MfaRequiredError(await this.open(c, record, method))
  }

  /** Unexpired session of collection `c`, or undefined (used by auth-with-totp to find the record). */
  async find(c: Collection, mfaId: string): Promise<MfaRow | undefined> {
    const row = await this.deps.store.get<MfaRow>(sql`SELECT * FROM "_mfas" WHERE "id" = ${mfaId} AND "collectionRef" = ${c.id}`)
    return row && !this.expired(c, row) ? row : undefined
  }

  /**
   * Closes session `mfaId` with a second factor. The delete is one conditional statement, so of N
   * concurrent completions (e.g. a reusable password replayed in parallel) exactly one wins.
   */
  async complete(c: Collection, record: RecordData, method: AuthMethod, mfaId: string): Promise<void> {
    const store = this.deps.store
    const row = await store.get<MfaRow>(sql`SELECT * FROM "_mfas" WHERE "id" = ${mfaId}`)
    if (!row || row.collectionRef !== c.id || this.expired(c, row)) {
      if (row && row.collectionRef === c.id) await store.run(sql`DELETE FROM "_mfas" WHERE "id" = ${mfaId}`)
      throw badRequest(INVALID_OR_EXPIRED)
    }
    if (row.recordRef !== String(record.id)) throw badRequest('Invalid MFA session.')
    // Kept (not deleted) on a same-method retry, as PocketBase does, so the user can still finish with another method.
    if (row.method === method) throw badRequest('A different authentication method is required.')
    const { changes } = await store.run(sql`DELETE FROM "_mfas" WHERE "id" = ${mfaId} AND "recordRef" = ${row.recordRef} AND "method" <> ${method}`)
    if (changes !== 1) throw badRequest(INVALID_OR_EXPIRED)
  }

  private async open(c: Collection, record: RecordData, method: AuthMethod): Promise<string> {
    const id = newRecordId()
    const now = this.deps.clock.now()
    const created = formatDate(now)
    const cutoff = formatDate(new Date(now.getTime() - c.auth!.mfa.duration * 1000))
    await this.deps.store.transaction(async (tx) => {
      // Housekeeping: expired sessions of this collection are useless; drop them while we are writing anyway.
      await tx.run(sql`DELETE FROM "_mfas" WHERE "collectionRef" = ${c.id} AND "created" < ${cutoff}`)
      await tx.run(sql`INSERT INTO "_mfas" ("id", "collectionRef", "recordRef", "method", "created", "updated")
        VALUES (${id}, ${c.id}, ${String(record.id)}, ${method}, ${created}, ${created})`)
    })
    return id
  }

  private expired(c: Collection, row: MfaRow): boolean {
    const created = Date.parse(row.created.replace(' ', 'T'))
    return !Number.isFinite(created) || created + c.auth!.mfa.duration * 1000 <= this.deps.clock.now().getTime()
  }

  /** Empty rule = everyone. Evaluated as the record itself; a broken rule fails closed (MFA required). */
  private async ruleApplies(c: Collection, record: RecordData, info: RequestInfo): Promise<boolean> {
    const rule = c.auth!.mfa.rule.trim()
    if (!rule) return true
    const ctx = this.deps.records.readContext({ ...info, auth: { collection: c, record } })
    try {
      const cond = compileOrFail(ctx, c, rule, MAIN_ALIAS, false)
      return !!(await loadRecord(ctx.db, c, String(record.id), ctx.dialect, cond))
    } catch {
      return true
    }
  }
}
