// ReadContext: what every read path needs (executor, schema, caller) and the view-rule filter built from it.
import type { Collection, RuleName, SchemaLookup } from '../collections/types.ts'
import type { SqlDialect } from '../../store/dialects/types.ts'
import type { Executor } from '../../store/types.ts'
import { sql, type Sql } from '../../store/sql.ts'
import type { RequestInfo } from '../../rules/request-info.ts'
import { compileFilter, RuleError } from '../../rules/index.ts'
import { badRequest } from '../errors.ts'
import { MAIN_ALIAS } from './record-io.ts'
import type { Viewer } from './visibility.ts'

export interface ReadContext {
  db: Executor
  schema: SchemaLookup
  dialect: SqlDialect
  info: RequestInfo
  viewer: Viewer
  now: Date
}

/**
 * The SQL condition a rule adds for this caller: `undefined` = no restriction (superuser or public
 * rule), `null` = nobody but superusers (locked rule).
 */
export function ruleCondition(ctx: ReadContext, c: Collection, rule: RuleName | 'authRule' | 'manageRule', alias = MAIN_ALIAS): Sql | undefined | null {
  if (ctx.viewer.superuser) return undefined
  const text = rule === 'authRule' || rule === 'manageRule' ? (c.auth?.[rule] ?? null) : c[rule]
  if (text === null) return null
  if (text.trim() === '') return undefined
  return compileOrFail(ctx, c, text, alias, false)
}

export function compileOrFail(ctx: ReadContext, c: Collection, expr: string, alias: string, restricted: boolean): Sql {
  try {
    return compileFilter(expr, { schema: ctx.schema, collection: c, alias, request: ctx.info, restricted, dialect: ctx.dialect, now: ctx.now })
  } catch (err) {
    // Superusers skip rules, so for them this is always their own filter: they get the reason too.
    const ownFilter = restricted || ctx.viewer.superuser
    if (err instanceof RuleError) throw badRequest(ownFilter ? `Invalid filter: ${err.message}` : 'Something went wrong while processing your request.', {}, err)
    throw err
  }
}

export function andAll(parts: (Sql | undefined)[]): Sql {
  const present = parts.filter((p): p is Sql => !!p)
  if (!present.length) return sql`1=1`
  return sql.join(present.map((p) => sql`(${p})`), ' AND ')
}
