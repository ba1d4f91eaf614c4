// RecordService: list/view/create/update/delete with rules, validation, expand and field projection.
import type { Collection } from '../collections/types.ts'
import type { CollectionService } from '../collections/collection-service.ts'
import { autogenerate, fieldKind, generateFromPattern } from '../collections/fields/index.ts'
import { badRequest, fieldError, forbidden, notFound, superusersOnly, type ErrorData } from '../errors.ts'
import type { Clock } from '../clock.ts'
import { newRecordId } from '../ids.ts'
import { sql, type Sql } from '../../store/sql.ts'
import type { Executor, Store } from '../../store/types.ts'
import { compileSort, RuleError } from '../../rules/index.ts'
import { ruleDependencies } from '../../rules/dependencies.ts'
import type { RecordData, RequestInfo } from '../../rules/request-info.ts'
import type { RoleService } from '../../auth/roles.ts'
import type { HookRegistry } from '../hooks/registry.ts'
import { withResponder } from '../hooks/registry.ts'
import { HookResponse } from '../hooks/hook-response.ts'
import { MAIN_ALIAS, fromMain, fromValues, loadRecord, rowToRecord } from './record-io.ts'
import { andAll, compileOrFail, ruleCondition, type ReadContext } from './read-context.ts'
import { parseExpand, expandRecords } from './expand.ts'
import { parseFields, pickFields } from './fields-picker.ts'
import { resolveInput, type RecordInput } from './input.ts'
import { applyAuthFields } from './auth-fields.ts'
import { viewerOf, exportRecord } from './visibility.ts'
import { RecordModel } from './record-model.ts'
import { enrichExported } from './enrich.ts'
import { assertWritable, type RecordWrites } from './record-writes.ts'
import type { ListQuery, ReadQuery } from './list-query.ts'
import { ErrorCode } from '../error-codes.ts'

export interface ListResult { page: number; perPage: number; totalItems: number; totalPages: number; items: unknown[] }

export interface RecordServiceDeps {
  store: Store
  collections: CollectionService
  clock: Clock
  /** Effective roles for `@request.auth.roles` (optional: without it rules see the stored role ids). */
  roles?: RoleService
  hooks: HookRegistry
  /** The one write path (model hooks, validation, outbox, realtime after commit). */
  writes: RecordWrites
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

  async list(c: Collection, q: ListQuery, info: RequestInfo): Promise<ListResult | HookResponse> {
    const ctx = this.readContext(info)
    const rule = ruleCondition(ctx, c, 'listRule')
    if (rule === null) throw superusersOnly()
    if (!ctx.viewer.superuser && (CLIENT_FILTER_FORBIDDEN.test(q.filter) || CLIENT_FILTER_FORBIDDEN.test(q.sort))) {
      throw forbidden('Only superusers can filter by @collection or @request.')
    }
    const hook = this.deps.hooks.onRecordsListRequest
    if (!hook.has([c.id, c.name])) return this.listPage(ctx, c, rule, q, info)
    const e = withResponder({ collection: c, requestInfo: info, auth: info.auth, records: [] as RecordModel[], result: null as ListResult | null })
    await hook.trigger(e, async () => { e.result = await this.listPage(ctx, c, rule, q, info, e.records) }, [c.id, c.name])
    return e.response ? new HookResponse(e.response) : e.result ?? { page: q.page, perPage: q.perPage, totalItems: 0, totalPages: 0, items: [] }
  }

  private async listPage(ctx: ReadContext, c: Collection, rule: Sql | undefined, q: ListQuery, info: RequestInfo, models?: RecordModel[]): Promise<ListResult> {
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
    models?.push(...records.map((r) => new RecordModel(c, r, r)))
    const items = await this.present(ctx, c, records, q)
    return { page: q.page, perPage: q.perPage, totalItems, totalPages, items }
  }

  async view(c: Collection, id: string, q: ReadQuery, info: RequestInfo): Promise<unknown> {
    const ctx = this.readContext(info)
    const rule = ruleCondition(ctx, c, 'viewRule')
    if (rule === null) throw superusersOnly()
    const rec = await loadRecord(ctx.db, c, id, ctx.dialect, rule)
    if (!rec) throw notFound()
    return this.requestHook('onRecordViewRequest', c, new RecordModel(c, rec, rec), info, async () => (await this.present(ctx, c, [rec], q))[0])
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
    assertWritable(c)
    await this.deps.store.transaction(async (tx) => {
      const rows = await tx.all<{ id: string }>(sql`SELECT "id" FROM ${this.deps.store.dialect.ident(c.name)}`)
      for (const row of rows) {
        // A cascade from an earlier row may already have removed this one.
        const rec = await loadRecord(tx, c, row.id, this.deps.store.dialect)
        if (rec) await this.deps.writes.delete(c, rec)
      }
    })
  }

  /** Serializes records for the caller: visibility, enrich hooks, expand, then `fields`. */
  async present(ctx: ReadContext, c: Collection, records: RecordData[], q: ReadQuery, opts: { alwaysEmail?: boolean } = {}): Promise<unknown[]> {
    const tree = parseExpand(q.expand)
    const picker = parseFields(q.fields)
    const expanded = tree ? await expandRecords(ctx, c, records, tree, (target, rec, out) => this.enrich(ctx, target, rec, out)) : undefined
    const viewer = { ...ctx.viewer, managed: await this.managedIds(ctx, c, records) }
    const out: unknown[] = []
    for (const rec of records) {
      const exported = await this.enrich(ctx, c, rec, exportRecord(c, rec, viewer, opts))
      if (tree) exported.expand = expanded!.get(rec.id as string) ?? {}
      out.push(pickFields(exported, picker))
    }
    return out
  }

  /** `onRecordEnrich` on one exported record (no-op without handlers: the hot path stays as it was). */
  private enrich(ctx: ReadContext, c: Collection, stored: RecordData, exported: Record<string, unknown>): Promise<Record<string, unknown>> | Record<string, unknown> {
    const hook = this.deps.hooks.onRecordEnrich
    if (!hook.has([c.id, c.name])) return exported
    return enrichExported(hook, c, stored, exported, ctx)
  }

  /**
   * Refuses a create/update that its rule refuses whatever the body says, before the body is read (a
   * guest's 30 MB upload to a locked collection is never buffered): the same answers `create`/`update`
   * give — 403 for a locked rule, 400 "Failed to create record." / 404 for a rule that fails. Rules that
   * read `@request.body` (or, for a create, the would-be record) are left to the normal path, and so are
   * collections with request hooks (they run before the rule and may answer themselves).
   * `checkRule: false` does only the free checks (locked rule, view collection), no query.
   */
  async refuseBeforeBody(c: Collection, action: 'create' | 'update', id: string | null, info: RequestInfo, checkRule = true): Promise<void> {
    assertWritable(c)
    const ruleName = action === 'create' ? 'createRule' : 'updateRule'
    const text = c[ruleName]
    // The free checks first: no rule compilation on the hot path of small writes.
    if (viewerOf(info).superuser) return
    if (text === null) throw superusersOnly()
    if (!checkRule || text.trim() === '') return
    if (this.deps.hooks[action === 'create' ? 'onRecordCreateRequest' : 'onRecordUpdateRequest'].has([c.id, c.name])) return
    const reads = ruleDependencies(text, (name) => c.fields.some((f) => f.name === name))
    if (reads.body) return
    const ctx = this.readContext(info)
    const rule = ruleCondition(ctx, c, ruleName)
    if (!rule) return
    if (action === 'update') {
      if (!(await loadRecord(ctx.db, c, id!, ctx.dialect, rule))) throw notFound()
      return
    }
    if (reads.record) return
    const blank: RecordData = {}
    for (const f of c.fields) blank[f.name] = fieldKind(f.type)!.zeroValue(f as never)
    const ok = await ctx.db.get(sql`SELECT 1 AS "ok" FROM ${fromValues(c, blank, ctx.dialect)} WHERE ${rule}`)
    if (!ok) throw badRequest('Failed to create record.')
  }

  async create(c: Collection, input: RecordInput, q: ReadQuery, info: RequestInfo): Promise<unknown> {
    assertWritable(c)
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
    const errors: ErrorData = { ...resolved.errors }
    if (c.type === 'auth') {
      const privileged = ctx.viewer.superuser // manageRule cannot match a record that doesn't exist yet
      Object.assign(errors, await applyAuthFields(c, rec, null, resolved, { privileged, isNew: true }))
    }
    const body = { ...input.body, ...resolved.values }
    const writeInfo: RequestInfo = { ...info, body }
    return this.requestHook('onRecordCreateRequest', c, new RecordModel(c, rec, null), info, async () => {
      const saved = await this.deps.store.transaction(async (tx) => {
        const rule = ruleCondition(this.readContext(writeInfo, tx), c, 'createRule')
        if (rule) {
          const ok = await tx.get(sql`SELECT 1 AS "ok" FROM ${fromValues(c, rec, this.deps.store.dialect)} WHERE ${rule}`)
          if (!ok) throw badRequest('Failed to create record.')
        }
        return this.deps.writes.create(c, rec, { errors, uploads: resolved.uploads })
      })
      return (await this.present(ctx, c, [saved], q))[0]
    })
  }

  async update(c: Collection, id: string, input: RecordInput, q: ReadQuery, info: RequestInfo): Promise<unknown> {
    assertWritable(c)
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
    // Request hooks see (and may change) the record as this request would leave it.
    const draft = new RecordModel(c, { ...current, ...preview.values, ...authPatch, id: current.id }, current)
    return this.requestHook('onRecordUpdateRequest', c, draft, info, async () => {
      const hookChanges = changedBy(draft.data, { ...current, ...preview.values, ...authPatch, id: current.id })
      const saved = await this.deps.store.transaction(async (tx) => {
        // Re-read inside the transaction so rule and modifiers (`count+`) apply to the row as it is now.
        const fresh = await loadRecord(tx, c, id, this.deps.store.dialect, allowedOrThrow(ruleCondition(this.readContext(writeInfo, tx), c, 'updateRule')), { forUpdate: true })
        if (!fresh) throw notFound()
        const resolved = resolveInput(c, fresh, input, ctx.viewer.superuser)
        const errors: ErrorData = { ...resolved.errors, ...authErrors }
        if ('id' in input.body && input.body.id !== fresh.id) errors.id = fieldError(ErrorCode.pkChange, 'The record primary key cannot be changed.')
        const rec: RecordData = { ...fresh, ...resolved.values, ...authPatch, ...hookChanges, id: fresh.id }
        return this.deps.writes.update(c, fresh, rec, { errors, uploads: resolved.uploads, removedFiles: resolved.removedFiles })
      })
      const self = info.auth && info.auth.collection.id === c.id && info.auth.record.id === id
      return (await this.present(ctx, c, [saved], q, { alwaysEmail: !!self }))[0]
    })
  }

  async delete(c: Collection, id: string, info: RequestInfo): Promise<void | HookResponse> {
    assertWritable(c)
    const ctx = this.readContext(info)
    if (ruleCondition(ctx, c, 'deleteRule') === null) throw superusersOnly()
    const hooked = this.deps.hooks.onRecordDeleteRequest.has([c.id, c.name])
    const stored = hooked ? await loadRecord(ctx.db, c, id, ctx.dialect, allowedOrThrow(ruleCondition(ctx, c, 'deleteRule'))) : { id }
    if (!stored) throw notFound()
    const out = await this.requestHook('onRecordDeleteRequest', c, new RecordModel(c, stored, stored), info, async () => {
      await this.deps.store.transaction(async (tx) => {
        const rec = await loadRecord(tx, c, id, this.deps.store.dialect, allowedOrThrow(ruleCondition(this.readContext(info, tx), c, 'deleteRule')), { forUpdate: true })
        if (!rec) throw notFound()
        await this.deps.writes.delete(c, rec)
      })
      return undefined
    })
    return out instanceof HookResponse ? out : undefined
  }

  /**
   * Runs a record request hook around `action` (the default behaviour). A handler may change
   * `e.record` before `e.next()`, throw an ApiError, or answer with `e.json()` instead of `e.next()`.
   */
  private async requestHook<T>(name: 'onRecordViewRequest' | 'onRecordCreateRequest' | 'onRecordUpdateRequest' | 'onRecordDeleteRequest', c: Collection, record: RecordModel, info: RequestInfo, action: () => Promise<T>): Promise<T | HookResponse> {
    const hook = this.deps.hooks[name]
    if (!hook.has([c.id, c.name])) return action()
    const e = withResponder({ collection: c, record, requestInfo: info, auth: info.auth })
    let result: T | undefined
    await hook.trigger(e, async () => { result = await action() }, [c.id, c.name])
    if (e.response) return new HookResponse(e.response)
    return result as T
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

  /** Does `rule` of `c` hold for record `id` for this caller? (locked rule → false) */
  async passesRule(ctx: ReadContext, c: Collection, rule: 'manageRule' | 'authRule' | 'viewRule' | 'listRule', id: string): Promise<boolean> {
    const cond = ruleCondition(ctx, c, rule)
    if (cond === null) return false
    if (cond === undefined) return true
    return !!(await loadRecord(ctx.db, c, id, ctx.dialect, cond))
  }
}

/** Fields a request hook changed on the draft (compared with what the request alone would write). */
function changedBy(draft: RecordData, original: RecordData): RecordData {
  const out: RecordData = {}
  for (const [k, v] of Object.entries(draft)) if (JSON.stringify(v) !== JSON.stringify(original[k])) out[k] = v
  return out
}
