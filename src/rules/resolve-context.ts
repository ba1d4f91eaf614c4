// Shared types of the resolver/compiler: options, resolution context, resolved operands, SQL helpers.
import { fieldKind } from '../core/collections/fields/index.ts'
import { findField, type Collection, type Field, type SchemaLookup } from '../core/collections/types.ts'
import type { SqlDialect } from '../store/dialects/types.ts'
import { sql, type Sql, type SqlValue } from '../store/sql.ts'
import { RuleError, quote } from './errors.ts'
import type { RequestInfo } from './request-info.ts'

export interface CompileOptions {
  /** To resolve relations, @collection.* and back-relations. */
  schema: SchemaLookup
  /** The collection the expression is about. */
  collection: Collection
  /** SQL alias under which the main row is visible (the caller writes `FROM "posts" AS "r"`). */
  alias: string
  /** `@request.*` values. */
  request: RequestInfo
  /** True for a client filter/sort from a non-superuser: hidden fields, email visibility, listRules on joins. */
  restricted: boolean
  dialect: SqlDialect
  /** For datetime macros; defaults to the current time. */
  now?: Date
}

/** A table visible under an alias while resolving a path. */
export interface Scope {
  alias: string
  collection: Collection
}

/** One `LEFT JOIN <source> ON <on>` of an operand's iteration source. */
export interface Join {
  source: Sql
  on: Sql
}

/**
 * A resolved operand. `value` is a scalar expression valid once `joins` are in scope; operands with
 * joins are compiled as correlated EXISTS subqueries, never as joins of the outer query.
 */
export interface Operand {
  value: Sql
  joins: Join[]
  /** The joins may yield several rows (multi relation/select/file, back-relation, @collection, :each). */
  multi: boolean
  /** A single value known at compile time (literal, macro, @request.*): drives NULL/'' folding. */
  known?: { value: SqlValue }
  /** Set only for text literals: `~` auto-wraps them in `%…%`. */
  text?: string
  /** JSON paths, :changed and functions compare with plain IS / IS NOT (PocketBase NoCoalesce). */
  noCoalesce?: boolean
  /** Conditions ANDed into every comparison using this operand (email visibility). */
  guards: Sql[]
  /**
   * SQL type of `value` for engines with strict typing (see compile-typed.ts): 'json' is a dialect
   * `jsonValue`; undefined for NULL. SQLite ignores it.
   */
  type?: ValueType
  /** `value` is a stored column: SQLite converts the other operand to its affinity (TEXT / NUMERIC). */
  affinity?: boolean
  /** `value` is a json_each value: BLOB affinity, so a TEXT column does not turn it into text. */
  blob?: boolean
}

export type ValueType = 'text' | 'number' | 'json'

/** The value type of a known (bound) value. */
export function typeOfValue(value: SqlValue): ValueType | undefined {
  if (value === null) return undefined
  return typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean' ? 'number' : 'text'
}

/** The value type of a single-valued stored column. */
export function columnValueType(field: Field): ValueType {
  const kind = fieldKind(field.type)?.columnKind(field as never)
  return kind === 'number' || kind === 'bool' ? 'number' : kind === 'json' || kind === 'jsonArray' ? 'json' : 'text'
}

export interface Ctx {
  opts: CompileOptions
  now: Date
  /** `@collection` join keys already bound to an alias by an enclosing EXISTS. */
  env: ReadonlyMap<string, Scope>
  /** Sort terms read multi-valued columns raw instead of iterating them. */
  sortMode: boolean
  nextAlias(prefix: string): string
  /** Condition to AND into a join reaching `collection` as `alias`; null when none applies. */
  joinRule(collection: Collection, alias: string): Sql | null
}

export type Modifier = 'isset' | 'changed' | 'length' | 'each' | 'lower'
const MODIFIERS: readonly string[] = ['isset', 'changed', 'length', 'each', 'lower']

/** Quotes an identifier, turning an unquotable name into a RuleError instead of a crash. */
export function ident(ctx: Ctx, name: string): Sql {
  try {
    return ctx.opts.dialect.ident(name)
  } catch (e) {
    throw new RuleError(`invalid identifier ${JSON.stringify(name)}`, { cause: e })
  }
}

export function column(ctx: Ctx, scope: Scope, name: string): Sql {
  return sql`${ident(ctx, scope.alias)}.${ident(ctx, name)}`
}

export function table(ctx: Ctx, collection: Collection, alias: string): Sql {
  return sql`${ident(ctx, collection.name)} AS ${ident(ctx, alias)}`
}

export function knownOperand(value: SqlValue, extra: Partial<Operand> = {}): Operand {
  return { value: sql.value(value), known: { value }, joins: [], multi: false, guards: [], type: typeOfValue(value), ...extra }
}

export function andSql(parts: readonly (Sql | null | undefined)[]): Sql {
  const kept = parts.filter((p): p is Sql => !!p && !p.isEmpty)
  if (kept.length === 0) return sql.raw('1=1')
  if (kept.length === 1) return kept[0]
  return sql`(${sql.join(kept.map((p) => sql`(${p})`), ' AND ')})`
}

const ID_FIELD = {
  id: 'id', name: 'id', type: 'text', system: true, hidden: false, presentable: false, required: true,
  min: 0, max: 0, pattern: '', autogeneratePattern: '', primaryKey: true,
} as const satisfies Field

/** A collection field by exact name; `id` always exists even if the model omits it. */
export function fieldOf(collection: Collection, name: string): Field | undefined {
  return findField(collection, name) ?? (name === 'id' ? ID_FIELD : undefined)
}

/** Splits path segments into names and the trailing `:modifier` (only the last segment may have one). */
export function splitModifier(parts: string[]): { segs: string[]; mod: Modifier | null } {
  const segs = [...parts]
  let mod: Modifier | null = null
  segs.forEach((s, i) => {
    if (s === '') throw new RuleError('invalid identifier: empty path segment')
    const colon = s.indexOf(':')
    if (colon < 0) return
    if (i !== segs.length - 1) throw new RuleError(`invalid identifier segment ${quote(s)}: modifiers go on the last segment`)
    const m = s.slice(colon + 1)
    if (!MODIFIERS.includes(m)) throw new RuleError(`unknown modifier ${quote(`:${m}`)}`)
    mod = m as Modifier
    segs[i] = s.slice(0, colon)
    if (segs[i] === '') throw new RuleError('invalid identifier: empty path segment')
  })
  return { segs, mod }
}
