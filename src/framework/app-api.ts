// The API hook files, custom routes and framework-mode programs call: records, transactions, routes, mail, rules.
import type { Collection } from '../core/collections/types.ts'
import type { AppCore } from '../app.ts'
import { fieldKind } from '../core/collections/fields/index.ts'
import { notFound } from '../core/errors.ts'
import { newRecordId } from '../core/ids.ts'
import { RecordModel } from '../core/records/record-model.ts'
import { MAIN_ALIAS, fromMain, loadRecord, rowToRecord } from '../core/records/record-io.ts'
import { andAll, compileOrFail } from '../core/records/read-context.ts'
import { compileSort } from '../rules/index.ts'
import { guestRequest, type RequestInfo } from '../rules/request-info.ts'
import { sql } from '../store/sql.ts'
import type { MailMessage } from '../mail/mailer.ts'
import { fillFilterParams, type FilterParams } from './filter-params.ts'
import type { Middleware, RouteHandler } from './router.ts'
import { runInTransaction } from './transactions.ts'

type Base = Pick<AppCore, 'store' | 'collections' | 'records' | 'writes' | 'mailer' | 'router' | 'clock'>

/** Superuser-equivalent reads: app code sees every record (rules are for clients; use app.records.* for those). */
const SYSTEM_INFO: RequestInfo = guestRequest({ context: 'default' })

export function appApi(app: Base) {
  const collection = (nameOrId: string | Collection): Collection => {
    if (typeof nameOrId !== 'string') return nameOrId
    const c = app.collections.find(nameOrId)
    if (!c) throw notFound(`Missing collection ${JSON.stringify(nameOrId)}.`)
    return c
  }
  const ctx = () => ({ ...app.records.readContext(SYSTEM_INFO), viewer: { superuser: true, authId: null, authCollectionId: null } })
  const where = (c: Collection, filter: string, params?: FilterParams) =>
    filter.trim() ? compileOrFail(ctx(), c, fillFilterParams(filter, params), MAIN_ALIAS, false) : undefined

  const api = {
    /** The collection by name or id (404 ApiError when missing). */
    findCollectionByNameOrId: collection,

    /**
     * The record by id (404 ApiError when missing). `lock: true` inside a transaction locks the row
     * until it ends (PostgreSQL `FOR UPDATE`; SQLite serializes write transactions anyway), so a
     * read-modify-write such as a stock decrement cannot lose a concurrent update.
     */
    async findRecordById(c: string | Collection, id: string, opts: { lock?: boolean } = {}): Promise<RecordModel> {
      const coll = collection(c)
      const rec = await loadRecord(app.store, coll, id, app.store.dialect, undefined, { forUpdate: opts.lock })
      if (!rec) throw notFound()
      return new RecordModel(coll, rec, rec)
    },

    /** Records matching `filter` (the rule language; `{:name}` placeholders bound from `params`). */
    async findRecordsByFilter(c: string | Collection, filter = '', sort = '', limit = 0, offset = 0, params?: FilterParams): Promise<RecordModel[]> {
      const coll = collection(c)
      const x = ctx()
      const order = sort.trim() ? compileSort(sort, { schema: x.schema, collection: coll, alias: MAIN_ALIAS, request: SYSTEM_INFO, restricted: false, dialect: x.dialect, now: x.now }) : sql.empty
      const orderBy = order.isEmpty ? sql.empty : sql` ORDER BY ${order}`
      const page = limit > 0 ? sql` LIMIT ${limit} OFFSET ${offset}` : sql.empty
      const rows = await app.store.all(sql`SELECT ${x.dialect.ident(MAIN_ALIAS)}.* FROM ${fromMain(coll, x.dialect)} WHERE ${andAll([where(coll, filter, params)])}${orderBy}${page}`)
      return rows.map((r) => { const rec = rowToRecord(coll, r); return new RecordModel(coll, rec, rec) })
    },

    async findFirstRecordByFilter(c: string | Collection, filter: string, params?: FilterParams): Promise<RecordModel> {
      const [first] = await api.findRecordsByFilter(c, filter, '', 1, 0, params)
      if (!first) throw notFound()
      return first
    },

    async countRecords(c: string | Collection, filter = '', params?: FilterParams): Promise<number> {
      const coll = collection(c)
      const row = await app.store.get<{ n: number }>(sql`SELECT COUNT(*) AS "n" FROM ${fromMain(coll, app.store.dialect)} WHERE ${andAll([where(coll, filter, params)])}`)
      return Number(row?.n ?? 0)
    },

    /** A new, unsaved record with the collection's zero values (and a fresh id). */
    newRecord(c: string | Collection, data: Record<string, unknown> = {}): RecordModel {
      const coll = collection(c)
      const rec: Record<string, unknown> = {}
      for (const f of coll.fields) rec[f.name] = fieldKind(f.type)!.zeroValue(f as never)
      rec.id = newRecordId()
      const model = new RecordModel(coll, rec, null)
      model.load(data)
      return model
    },

    /**
     * Creates or updates the record through the one write path: validation, model hooks, outbox and
     * realtime — as the HTTP API does — but without API rules (app code is trusted).
     */
    async save(record: RecordModel): Promise<RecordModel> {
      const c = record.collection()
      if (record.isNew()) {
        const saved = await app.writes.create(c, { ...record.data })
        return new RecordModel(c, saved, saved)
      }
      const before = record.original().data
      const saved = await app.writes.update(c, before, { ...record.data, id: before.id })
      return new RecordModel(c, saved, saved)
    },

    async delete(record: RecordModel): Promise<void> {
      const c = record.collection()
      const stored = await loadRecord(app.store, c, record.id, app.store.dialect)
      if (!stored) throw notFound()
      await app.writes.delete(c, stored)
    },

    /** Runs `fn` in one transaction; nested calls join it; PostgreSQL serialization failures are retried. */
    runInTransaction: <T>(fn: () => Promise<T>) => runInTransaction(app.store, fn),

    /** Sends a mail through the configured mailer (SMTP or the log), after `onMailerSend` hooks. */
    sendMail: (message: MailMessage) => app.mailer.send(message),

    /** Does rule `expr` (e.g. `@request.auth.role = "admin"`) hold for this request? */
    async checkRule(expr: string, info: RequestInfo): Promise<boolean> {
      const c = REQUEST_ONLY
      const cond = compileOrFail(app.records.readContext(info), c, expr, MAIN_ALIAS, false)
      const row = await app.store.get(sql`SELECT 1 AS "ok" FROM (SELECT '' AS "id") AS ${app.store.dialect.ident(MAIN_ALIAS)} WHERE ${cond}`)
      return !!row
    },

    /** Adds a custom route (PocketBase's `routerAdd`): `app.routerAdd('GET', '/api/hello/{name}', (e) => e.json(200, {...}))`. */
    routerAdd(method: string, path: string, handler: RouteHandler, ...middlewares: Middleware[]): void {
      app.router.add({ method, path, handler, middlewares, owner: currentOwner })
    },

    routes: {
      get: (path: string, handler: RouteHandler, ...mw: Middleware[]) => api.routerAdd('GET', path, handler, ...mw),
      post: (path: string, handler: RouteHandler, ...mw: Middleware[]) => api.routerAdd('POST', path, handler, ...mw),
      put: (path: string, handler: RouteHandler, ...mw: Middleware[]) => api.routerAdd('PUT', path, handler, ...mw),
      patch: (path: string, handler: RouteHandler, ...mw: Middleware[]) => api.routerAdd('PATCH', path, handler, ...mw),
      delete: (path: string, handler: RouteHandler, ...mw: Middleware[]) => api.routerAdd('DELETE', path, handler, ...mw),
    },
  }
  return api
}

export type AppApi = ReturnType<typeof appApi>

/** A schema with only `id`: rules checked by `checkRule` may read `@request.*` and `@collection.*`, no fields. */
const REQUEST_ONLY: Collection = {
  id: '_request', name: '_request', type: 'base', system: true,
  fields: [{ id: 'text_id', name: 'id', type: 'text', system: true, hidden: false, presentable: false, primaryKey: true, required: true, min: 0, max: 0, pattern: '', autogeneratePattern: '' }],
  indexes: [], listRule: null, viewRule: null, createRule: null, updateRule: null, deleteRule: null, created: '', updated: '',
} as unknown as Collection

/** Routes added while a hooks file loads are tagged with it, so a dev reload can drop them. */
let currentOwner: string | undefined
export function withOwner<T>(owner: string | undefined, fn: () => T): T {
  const previous = currentOwner
  currentOwner = owner
  try { return fn() } finally { currentOwner = previous }
}
