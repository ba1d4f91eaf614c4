// Webhook filters: a rule-language expression (the `filter` field of `_webhooks`) evaluated against the
// event's record. Compiled by the same rules compiler as API rules and realtime subscriptions and run as
// SQL against a one-row derived table of the record's values (so deletes are judged like the rest),
// never by building SQL text from the expression.
import { fieldKind } from '../../core/collections/fields/index.ts'
import type { Collection, SchemaLookup } from '../../core/collections/types.ts'
import { fromValues, MAIN_ALIAS } from '../../core/records/record-io.ts'
import { compileFilter, parse, RuleError } from '../../rules/index.ts'
import { guestRequest, type RecordData } from '../../rules/request-info.ts'
import type { SqlDialect } from '../../store/dialects/types.ts'
import { sql, type Sql } from '../../store/sql.ts'
import type { Executor } from '../../store/types.ts'

export interface FilterScope {
  db: Executor
  schema: SchemaLookup
  dialect: SqlDialect
}

/**
 * Webhook filters are written by superusers and run server-side with no request: hidden fields are
 * visible, `@request.*` is an empty guest request.
 */
function compile(expr: string, c: Collection, scope: Omit<FilterScope, 'db'>): Sql {
  return compileFilter(expr, { schema: scope.schema, collection: c, alias: MAIN_ALIAS, request: guestRequest(), restricted: false, dialect: scope.dialect })
}

/**
 * Checks a filter when a webhook is saved: null when valid, else why not. It must compile against every
 * listed collection that exists; with no collections listed (every collection) only its syntax is checked.
 */
export function validateWebhookFilter(expr: string, collections: string[], scope: Omit<FilterScope, 'db'>): string | null {
  if (!expr.trim()) return null
  try {
    parse(expr)
    for (const name of collections) {
      const c = scope.schema.find(name)
      if (c) compile(expr, c, scope)
    }
    return null
  } catch (err) {
    if (err instanceof RuleError) return err.message
    throw err
  }
}

/**
 * Does the record of a `collectionName` event match `expr`? A filter that does not compile for this
 * collection (a field it names is not there) matches nothing: better silent than a surprise delivery.
 */
export async function filterMatches(expr: string, collectionName: string, record: unknown, scope: FilterScope): Promise<boolean> {
  const c = scope.schema.find(collectionName)
  if (!c || !record || typeof record !== 'object') return false
  let cond: Sql
  try {
    cond = compile(expr, c, scope)
  } catch (err) {
    if (err instanceof RuleError) return false
    throw err
  }
  // Event data lacks an auth record's password hash and token key: those columns get their zero value.
  const rec: RecordData = {}
  for (const f of c.fields) rec[f.name] = f.name in record ? (record as RecordData)[f.name] : fieldKind(f.type)!.zeroValue(f as never)
  return !!(await scope.db.get(sql`SELECT 1 AS "ok" FROM ${fromValues(c, rec, scope.dialect)} WHERE ${cond}`))
}
