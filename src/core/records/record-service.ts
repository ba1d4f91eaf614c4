// RecordService: list/view/create/update/delete with rules, validation, expand and field projection.
import type { Collection } from '../collections/types.ts'
import type { CollectionService } from '../collections/collection-service.ts'
import { autogenerate, fieldKind, generateFromPattern } from '../collections/fields/index.ts'
import { ApiError, badRequest, fieldError, forbidden, hasErrors, notFound, superusersOnly, type ErrorData } from '../errors.ts'
import { formatDate, type Clock } from '../clock.ts'
import { newRecordId } from '../ids.ts'
import { sql } from '../../store/sql.ts'
import { isUniqueViolation, type Executor, type Store } from '../../store/types.ts'
import { uniqueViolationFields } from './unique-violation.ts'
import type { FileStorage } from '../../files/storage.ts'
import { compileSort, RuleError } from '../../rules/index.ts'
import type { RecordData, RequestInfo } from '../../rules/request-info.ts'
import type { ChangeEvent } from '../../realtime/types.ts'
import type { RoleService } from '../../auth/roles.ts'
import { MAIN_ALIAS, fromMain, fromValues, insertRecord, loadRecord, rowToRecord, updateRecord } from './record-io.ts'
import { andAll, compileOrFail, ruleCondition, type ReadContext } from './read-context.ts'
import { parseExpand, expandRecords } from './expand.ts'
import { parseFields, pickFields } from './fields-picker.ts'
import { resolveInput, type RecordInput } from './input.ts'
import { applyAuthFields } from './auth-fields.ts'
import { deleteWithReferences } from './cascade.ts'
import { viewerOf, exportRecord } from './visibility.ts'
import type { ListQuery, ReadQuery } from './list-query.ts'

export interface ListResult { page: number; perPage: number; totalItems: number; totalPages: number; items: unknown[] }

export interface RecordServiceDeps {
  store: Store
  collections: CollectionService
  clock: Clock
  files: FileStorage
  /** Effective roles for `@request.auth.roles` (optional: without it rules see the stored role ids). */
  roles?: RoleService
  /** Called after a write committed, with every change it made, in order. */
  onCommitted: (events: ChangeEvent[]) => void
}

/** A locked rule (null) means superusers only. */
function allowedOrThrow<T>(cond: T | null): T {
  if (cond === null) throw superusersOnly()
  return cond
}

const CLIENT_FILTER_FORBIDDEN = /@collection\.|@request\./

export class RecordService {
  constructor(private readonly deps: RecordServiceDeps) {}

  readContext(info: RequestInfo, db: Executor = this.deps.store): ReadContext {
    const ruleInfo = this.deps.roles ? this.deps.roles.forRules(info) : info
    return { db, schema: this.deps.collections, dialect: this.deps.store.dialect, info: ruleInfo, viewer: viewerOf(info), now: this.deps.clock.now() }
  }

  async list(c: Collection, q: ListQuery, info: RequestInfo): Promise<ListResult> {
    const ctx = this.readContext(info)
    const rule = ruleCondition(ctx, c, 'listRule')
    if (rule === null) throw superusersOnly()
    if (!ctx.viewer.superuser && (CLIENT_FILTER_FORBIDDEN.test(q.filter) || CLIENT_FILTER_FORBIDDEN.test(q.sort))) {
      throw forbidden('Only superusers can filter by @collection or @request.')
    }
    const restricted = !ctx.viewer.superuser
    const filter = q.filter.trim() ? compileOrFail(ctx, c, q.filter, MAIN_ALIAS, restricted) : undefined
    let order
    try {
      order = compileSort(q.sort, { schema: ctx.schema, collection: c, alias: MAIN_ALIAS, request: info, restricted, dialect: ctx.dialect, now: ctx.now })
    } catch (err) {
      if (err instanceof RuleError) throw badRequest(`Invalid sort: ${err.message}`, {}, err)
      throw err
    }
    const where = andAll([rule, filter])
    const from = fromMain(c, ctx.dialect)
    const alias = ctx.dialect.ident(MAIN_ALIAS)
    const orderBy = order.isEmpty ? sql.empty : sql` ORDER BY ${order}`
    const rows = await ctx.db.all(sql`SELECT ${alias}.* FROM ${from} WHERE ${where}${orderBy} LIMIT ${q.perPage} OFFSET ${(q.page - 1) * q.perPage}`)
    let totalItems = -1, totalPages = -1
    if (!q.skipTotal) {
      const count = await ctx.db.get<{ n: number }>(sql`SELECT COUNT(*) AS "n" FROM ${from} WHERE ${where}`)
      totalItems = Number(count?.n ?? 0)
      totalPages = Math.ceil(totalItems / q.perPage)
    }
    const records = rows.map((r) => rowToRecord(c, r))
    const items = await this.present(ctx, c, records, q)
    return { page: q.page, perPage: q.perPage, totalItems, totalPages, items }
  }

  async view(c: Collection, id: string, q: ReadQuery, info: RequestInfo): Promise<unknown> {
    const ctx = this.readContext(info)
    const rule = ruleCondition(ctx, c, 'viewRule')
    if (rule === null) throw superusersOnly()
    const rec = await loadRecord(ctx.db, c, id, ctx.dialect, rule)
    if (!rec) throw notFound()
    return (await this.present(ctx, c, [rec], q))[0]
  }

  /** The stored record if the caller may view it (used by file downloads); undefined otherwise. */
  async viewRaw(c: Collection, id: string, info: RequestInfo): Promise<RecordData | undefined> {
    const ctx = this.readContext(info)
    const rule = ruleCondition(ctx, c, 'viewRule')
    if (rule === null) return undefined
    return loadRecord(ctx.db, c, id, ctx.dialect, rule)
  }

  /** Deletes every record of `c` (superuser action), with the same cascade rules as single deletes. */
  async truncate(c: Collection): Promise<void> {
    const { events, files } = await this.deps.store.transaction(async (tx) => {
      const rows = await tx.all(sql`SELECT * FROM ${this.deps.store.dialect.ident(c.name)}`)
      const all: Awaited<ReturnType<typeof deleteWithReferences>> = { events: [], files: [] }
      for (const row of rows) {
        const rec = rowToRecord(c, row)
        if (!(await loadRecord(tx, c, rec.id as string, this.deps.store.dialect))) continue
        const out = await deleteWithReferences(tx, this.deps.collections, this.deps.store.dialect, c, rec)
        all.events.push(...out.events)
        all.files.push(...out.files)
      }
      return all
    })
    for (const f of files) await this.removeFiles(f.collection, f.recordId, f.names)
    this.deps.onCommitted(events)
  }

  /** Serializes records for the caller: visibility, expand, then `fields`. */
  async present(ctx: ReadContext, c: Collection, records: RecordData[], q: ReadQuery, opts: { alwaysEmail?: boolean } = {}): Promise<unknown[]> {
    const tree = parseExpand(q.expand)
    const picker = parseFields(q.fields)
    const expanded = tree ? await expandRecords(ctx, c, records, tree) : undefined
    const viewer = { ...ctx.viewer, managed: await this.managedIds(ctx, c, records) }
    return records.map((rec) => {
      const out = exportRecord(c, rec, viewer, opts)
      if (tree) out.expand = expanded!.get(rec.id as string) ?? {}
      return pickFields(out, picker)
    })
  }

  async create(c: Collection, input: RecordInput, q: ReadQuery, info: RequestInfo): Promise<unknown> {
    const ctx = this.readContext(info)
    if (ruleCondition(ctx, c, 'createRule') === null) throw superusersOnly()
    const resolved = resolveInput(c, null, input, ctx.viewer.superuser)
    const rec: RecordData = {}
    for (const f of c.fields) rec[f.name] = fieldKind(f.type)!.zeroValue(f as never)
    Object.assign(rec, resolved.values)
    // PocketBase fills empty text fields that have an autogeneratePattern when a record is created.
    for (const f of c.fields) if (f.type === 'text' && f.name !== 'id' && f.autogeneratePattern && rec[f.name] === '') rec[f.name] = autogenerate(f)
    const idField = c.fields.find((f) => f.name === 'id')!
    const submittedId = input.body.id
    rec.id = submittedId === undefined || submittedId === '' ? (idField.type === 'text' && idField.autogeneratePattern ? generateFromPattern(idField.autogeneratePattern) : newRecordId()) : fieldKind('text')!.normalize(idField as never, submittedId)
    this.stampDates(c, rec, true)
    const errors: ErrorData = { ...resolved.errors }
    if (c.type === 'auth') {
      const privileged = ctx.viewer.superuser // manageRule cannot match a record that doesn't exist yet
      Object.assign(errors, await applyAuthFields(c, rec, null, resolved, { privileged, isNew: true }))
    }
    const body = { ...input.body, ...resolved.values }
    const writeInfo: RequestInfo = { ...info, body }
    const events: ChangeEvent[] = []
    const saved = await this.deps.store.transaction(async (tx) => {
      const wctx = { ...this.readContext(writeInfo, tx) }
      const rule = ruleCondition(wctx, c, 'createRule')
      if (rule) {
        const ok = await tx.get(sql`SELECT 1 AS "ok" FROM ${fromValues(c, rec, wctx.dialect)} WHERE ${rule}`)
        if (!ok) throw badRequest('Failed to create record.')
      }
      await this.validateFields(tx, c, rec, null, errors)
      if (!errors.id && await this.idTakenByOtherAuth(tx, c, rec.id as string)) errors.id = fieldError('validation_not_unique', 'Value must be unique.')
      if (hasErrors(errors)) throw badRequest('Failed to create record.', errors)
      await this.writeUploads(c, rec.id as string, resolved.uploads)
      try {
        await insertRecord(tx, c, rec, wctx.dialect)
      } catch (err) {
        throw this.uniqueError(err, c, 'Failed to create record.')
      }
      events.push({ action: 'create', collectionId: c.id, collectionName: c.name, record: rec })
      return rec
    }).catch(async (err) => {
      await this.removeFiles(c, rec.id as string, resolved.uploads.map((u) => u.name))
      throw err
    })
    this.deps.onCommitted(events)
    return (await this.present(ctx, c, [saved], q))[0]
  }

  async update(c: Collection, id: string, input: RecordInput, q: ReadQuery, info: RequestInfo): Promise<unknown> {
    const ctx = this.readContext(info)
    if (ruleCondition(ctx, c, 'updateRule') === null) throw superusersOnly()
    const current = await loadRecord(ctx.db, c, id, ctx.dialect)
    if (!current) throw notFound()
    // A first resolution against the current row gives @request.body for the rule and lets the slow
    // password hashing happen before the write lock is taken.
    const preview = resolveInput(c, current, input, ctx.viewer.superuser)
    const writeInfo: RequestInfo = { ...info, body: { ...input.body, ...preview.values } }
    const authErrors: ErrorData = {}
    const authPatch: RecordData = {}
    if (c.type === 'auth') {
      const privileged = ctx.viewer.superuser || await this.passesRule(this.readContext(writeInfo), c, 'manageRule', id)
      const draft: RecordData = { ...current, ...preview.values }
      Object.assign(authErrors, await applyAuthFields(c, draft, current, preview, { privileged, isNew: false }))
      // Only what this request changes: copying unchanged values would undo a concurrent password change.
      if (draft.password !== current.password) authPatch.password = draft.password
      if (draft.tokenKey !== current.tokenKey) authPatch.tokenKey = draft.tokenKey
    }
    const events: ChangeEvent[] = []
    let resolved = preview
    const saved = await this.deps.store.transaction(async (tx) => {
      const wctx = this.readContext(writeInfo, tx)
      // Re-read inside the transaction so rule and modifiers (`count+`) apply to the row as it is now.
      const fresh = await loadRecord(tx, c, id, wctx.dialect, allowedOrThrow(ruleCondition(wctx, c, 'updateRule')), { forUpdate: true })
      if (!fresh) throw notFound()
      resolved = resolveInput(c, fresh, input, ctx.viewer.superuser)
      const rec: RecordData = { ...fresh, ...resolved.values, ...authPatch, id: fresh.id }
      const errors: ErrorData = { ...resolved.errors, ...authErrors }
      if ('id' in input.body && input.body.id !== fresh.id) errors.id = fieldError('validation_pk_change', 'The record primary key cannot be changed.')
      this.stampDates(c, rec, false)
      await this.validateFields(tx, c, rec, fresh, errors)
      if (hasErrors(errors)) throw badRequest('Failed to update record.', errors)
      await this.writeUploads(c, id, resolved.uploads)
      try {
        await updateRecord(tx, c, id, rec, wctx.dialect)
      } catch (err) {
        throw this.uniqueError(err, c, 'Failed to update record.')
      }
      events.push({ action: 'update', collectionId: c.id, collectionName: c.name, record: rec })
      return rec
    }).catch(async (err) => {
      await this.removeFiles(c, id, resolved.uploads.map((u) => u.name))
      throw err
    })
    await this.removeFiles(c, id, resolved.removedFiles)
    this.deps.onCommitted(events)
    const self = info.auth && info.auth.collection.id === c.id && info.auth.record.id === id
    return (await this.present(ctx, c, [saved], q, { alwaysEmail: !!self }))[0]
  }

  async delete(c: Collection, id: string, info: RequestInfo): Promise<void> {
    const ctx = this.readContext(info)
    if (ruleCondition(ctx, c, 'deleteRule') === null) throw superusersOnly()
    const { events, files } = await this.deps.store.transaction(async (tx) => {
      const wctx = this.readContext(info, tx)
      const rec = await loadRecord(tx, c, id, wctx.dialect, allowedOrThrow(ruleCondition(wctx, c, 'deleteRule')), { forUpdate: true })
      if (!rec) throw notFound()
      return deleteWithReferences(tx, this.deps.collections, wctx.dialect, c, rec)
    })
    for (const f of files) await this.removeFiles(f.collection, f.recordId, f.names)
    this.deps.onCommitted(events)
  }

  /** Ids among `records` that the caller manages through the collection's manageRule (they may see emails). */
  private async managedIds(ctx: ReadContext, c: Collection, records: RecordData[]): Promise<Set<string> | undefined> {
    if (c.type !== 'auth' || ctx.viewer.superuser || !c.auth?.manageRule || !records.length) return undefined
    const cond = ruleCondition(ctx, c, 'manageRule')
    if (!cond) return undefined
    const alias = ctx.dialect.ident(MAIN_ALIAS)
    const ids = records.map((r) => sql`${r.id as string}`)
    const rows = await ctx.db.all<{ id: string }>(sql`SELECT ${alias}."id" AS "id" FROM ${fromMain(c, ctx.dialect)} WHERE ${alias}."id" IN (${sql.join(ids)}) AND (${cond})`)
    return new Set(rows.map((r) => r.id))
  }

  /** Auth record ids are unique across all auth collections, so a token's id names one principal. */
  private async idTakenByOtherAuth(tx: Executor, c: Collection, id: string): Promise<boolean> {
    if (c.type !== 'auth') return false
    for (const other of this.deps.collections.all()) {
      if (other.type !== 'auth' || other.id === c.id) continue
      if (await tx.get(sql`SELECT 1 AS "x" FROM ${this.deps.store.dialect.ident(other.name)} WHERE "id" = ${id}`)) return true
    }
    return false
  }

  /** Does `rule` of `c` hold for record `id` for this caller? (locked rule → false) */
  async passesRule(ctx: ReadContext, c: Collection, rule: 'manageRule' | 'authRule' | 'viewRule' | 'listRule', id: string): Promise<boolean> {
    const cond = ruleCondition(ctx, c, rule)
    if (cond === null) return false
    if (cond === undefined) return true
    return !!(await loadRecord(ctx.db, c, id, ctx.dialect, cond))
  }

  private stampDates(c: Collection, rec: RecordData, isNew: boolean) {
    const now = formatDate(this.deps.clock.now())
    for (const f of c.fields) {
      if (f.type === 'autodate' && ((isNew && f.onCreate) || (!isNew && f.onUpdate))) rec[f.name] = now
    }
  }

  private async validateFields(tx: Executor, c: Collection, rec: RecordData, before: RecordData | null, errors: ErrorData) {
    const existingIds = async (collectionId: string, ids: string[]) => {
      const target = this.deps.collections.find(collectionId)
      if (!target || !ids.length) return new Set<string>()
      const rows = await tx.all<{ id: string }>(sql`SELECT "id" FROM ${this.deps.store.dialect.ident(target.name)} WHERE "id" IN (${sql.join(ids.map((i) => sql`${i}`))})`)
      return new Set(rows.map((r) => r.id))
    }
    for (const f of c.fields) {
      if (errors[f.name] || f.type === 'password' || f.type === 'autodate') continue
      if (c.type === 'auth' && f.name === 'tokenKey') continue
      // Unchanged values are not re-validated (options may have tightened since they were stored).
      if (before && JSON.stringify(before[f.name]) === JSON.stringify(rec[f.name]) && f.name !== 'id') continue
      const err = await fieldKind(f.type)!.validate(f as never, rec[f.name], { isNew: !before, existingIds })
      if (err) errors[f.name] = err
    }
  }

  private uniqueError(err: unknown, c: Collection, message: string): unknown {
    if (!isUniqueViolation(err)) return err
    const data: ErrorData = {}
    for (const name of uniqueViolationFields(err, c)) data[name] = fieldError('validation_not_unique', 'Value must be unique.')
    return new ApiError(400, message, data, { cause: err })
  }

  private async writeUploads(c: Collection, recordId: string, uploads: { name: string; file: { data: Buffer } }[]) {
    for (const u of uploads) await this.deps.files.put(`${c.id}/${recordId}/${u.name}`, u.file.data)
  }

  private async removeFiles(c: Collection, recordId: string, names: string[]) {
    for (const n of names) await this.deps.files.delete(`${c.id}/${recordId}/${n}`).catch(() => {})
  }
}
