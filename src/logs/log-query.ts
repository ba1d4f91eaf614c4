// Reads request logs: paged list, one log, hourly stats — filters and sorts in the rule language over the log fields.
import { makeField } from '../core/collections/auth-defaults.ts'
import type { Collection, SchemaLookup } from '../core/collections/types.ts'
import { badRequest, notFound } from '../core/errors.ts'
import { parseListQuery } from '../core/records/list-query.ts'
import { compileFilter, compileSort, RuleError } from '../rules/index.ts'
import type { RequestInfo } from '../rules/request-info.ts'
import { sql, type Sql } from '../store/sql.ts'
import type { Store } from '../store/types.ts'
import { LOGS_TABLE, type LogRow } from './log-store.ts'

/** The log fields as a collection, so the rule compiler checks paths (`data.status`, `data.auth`) like anywhere else. */
const LOGS_COLLECTION: Collection = {
  id: LOGS_TABLE, name: LOGS_TABLE, type: 'base', system: true,
  fields: [
    makeField('text', 'id'), makeField('autodate', 'created', { onCreate: true }),
    makeField('number', 'level'), makeField('text', 'message'), makeField('json', 'data'),
  ],
  indexes: [], listRule: null, viewRule: null, createRule: null, updateRule: null, deleteRule: null, created: '', updated: '',
}
/** No other collection is reachable from a log filter (`@collection.*` fails as unknown). */
const NO_SCHEMA: SchemaLookup = { find: () => undefined, all: () => [] }
const ALIAS = 'r'
const COLUMNS = sql.raw(`"${ALIAS}"."id", "${ALIAS}"."created", "${ALIAS}"."level", "${ALIAS}"."message", "${ALIAS}"."data"`)
const FROM = sql.raw(`"${LOGS_TABLE}" AS "${ALIAS}"`)

export interface LogModel { id: string; created: string; level: number; message: string; data: Record<string, unknown> }

function toModel(row: LogRow): LogModel {
  let data: Record<string, unknown> = {}
  try { data = typeof row.data === 'string' ? JSON.parse(row.data) : (row.data ?? {}) } catch { /* keep {} */ }
  return { id: row.id, created: row.created, level: Number(row.level), message: row.message, data }
}

export class LogQuery {
  constructor(private readonly store: Store) {}

  private where(filter: string, info: RequestInfo): Sql {
    if (!filter.trim()) return sql.raw('1=1')
    try {
      return compileFilter(filter, { schema: NO_SCHEMA, collection: LOGS_COLLECTION, alias: ALIAS, request: info, restricted: false, dialect: this.store.dialect })
    } catch (err) {
      if (err instanceof RuleError) throw badRequest(`Invalid filter: ${err.message}`, {}, err)
      throw err
    }
  }

  private orderBy(sort: string, info: RequestInfo): Sql {
    // PocketBase's dashboard sorts logs by `-rowid`; here that is the `@rowid` sort term.
    const text = (sort || '-@rowid').split(',').map((t) => t.trim().replace(/^([-+]?)rowid$/, '$1@rowid')).join(',')
    try {
      return compileSort(text, { schema: NO_SCHEMA, collection: LOGS_COLLECTION, alias: ALIAS, request: info, restricted: false, dialect: this.store.dialect })
    } catch (err) {
      if (err instanceof RuleError) throw badRequest(`Invalid sort: ${err.message}`, {}, err)
      throw err
    }
  }

  async list(q: Record<string, string | undefined>, info: RequestInfo) {
    const { page, perPage, filter, sort, skipTotal } = parseListQuery(q)
    const where = this.where(filter, info)
    const order = this.orderBy(sort, info)
    const rows = await this.store.all<LogRow>(
      sql`SELECT ${COLUMNS} FROM ${FROM} WHERE ${where} ORDER BY ${order} LIMIT ${perPage} OFFSET ${(page - 1) * perPage}`,
    )
    let totalItems = -1
    if (!skipTotal) {
      const c = await this.store.get<{ n: number }>(sql`SELECT COUNT(*) AS "n" FROM ${FROM} WHERE ${where}`)
      totalItems = Number(c?.n ?? 0)
    }
    return { page, perPage, totalItems, totalPages: skipTotal ? -1 : Math.ceil(totalItems / perPage), items: rows.map(toModel) }
  }

  async view(id: string): Promise<LogModel> {
    const row = id ? await this.store.get<LogRow>(sql`SELECT ${COLUMNS} FROM ${FROM} WHERE ${sql.raw(`"${ALIAS}"."id"`)} = ${id}`) : undefined
    if (!row) throw notFound()
    return toModel(row)
  }

  /** Hourly counts `[{date: "YYYY-MM-DD HH:00:00.000Z", total}]`, oldest first (PocketBase's shape). */
  async stats(filter: string, info: RequestInfo): Promise<{ date: string; total: number }[]> {
    // `created` is `YYYY-MM-DD HH:MM:SS.mmmZ` text on both engines, so its first 13 chars are the hour.
    const hour = sql.raw(`SUBSTR("${ALIAS}"."created", 1, 13)`)
    const rows = await this.store.all<{ hour: string; total: number }>(
      sql`SELECT ${hour} AS "hour", COUNT(*) AS "total" FROM ${FROM} WHERE ${this.where(filter, info)} GROUP BY ${hour} ORDER BY ${hour} ASC`,
    )
    return rows.map((r) => ({ date: `${r.hour}:00:00.000Z`, total: Number(r.total) }))
  }

  /** Deletes every log (PocketBase v0.40's `DELETE /api/logs`). */
  async truncate(): Promise<void> {
    await this.store.run(sql`DELETE FROM ${sql.raw(`"${LOGS_TABLE}"`)}`)
  }

  /** Retention: deletes logs created at or before `created` (a PocketBase datetime string). */
  async deleteOlderThan(created: string): Promise<number> {
    return (await this.store.run(sql`DELETE FROM ${sql.raw(`"${LOGS_TABLE}"`)} WHERE "created" <= ${created}`)).changes
  }
}
