// Public surface of the rule/filter language: compile filters and sorts to SQL, validate rules.
//
// Semantics (see compile.ts / resolve.ts for the details and the reasons):
// - Multi-valued operands (multi select/relation/file fields, paths through multi relations,
//   back-relations, @collection, :each, body arrays) compile to correlated EXISTS subqueries, never
//   joins of the outer query. `?op` = at least one value; plain `op` = at least one value matches and
//   none fails. An empty set behaves as ONE NULL value (PocketBase's LEFT JOIN).
// - Each comparison iterates its own sources, so `tags.name ?= "a" && tags.name ?= "b"` means "has a
//   tag a and a tag b" (PocketBase shares one join there and never matches; a known complaint).
// - `@collection.x[:alias]` is joined once per alias within an && chain: items sharing an alias are
//   compiled into one EXISTS over that collection, so they constrain the same row, as in PocketBase.
// - One language, two engines: comparisons follow SQLite's rules (column affinity, NULL < numbers <
//   text, JSON values typed by json_extract). On PostgreSQL (dialect.strictTypes) compare.ts spells
//   the same semantics with explicit casts and class checks; src/rules/engines-agree.test.ts holds both
//   engines to the same answers.
import type { Collection, SchemaLookup } from '../core/collections/types.ts'
import { sqliteDialect } from '../store/dialects/sqlite.ts'
import type { SqlDialect } from '../store/dialects/types.ts'
import { sql, type Sql } from '../store/sql.ts'
import { compileExpr, makeContext } from './compile.ts'
import { RuleError } from './errors.ts'
import { parse } from './parser.ts'
import type { CompileOptions } from './resolve-context.ts'
import { guestRequest } from './request-info.ts'

export { compileSort } from './sort.ts'
export { RuleError } from './errors.ts'
export * as limits from './errors.ts'
export { tokenize, type Token, type TokenKind } from './lexer.ts'
export { parse } from './parser.ts'
export type { Expr, Operand as AstOperand, Op, BaseOp, AnyOp } from './ast.ts'
export { isAnyOp, baseOp, forEachOperand, OPERATORS } from './ast.ts'
export { macroValue, formatDateTime, MACRO_NAMES } from './macros.ts'
export type { CompileOptions } from './resolve-context.ts'

/**
 * Parsed expressions by text. API rules are re-compiled on every request (their bound values come
 * from the request), but their text rarely changes, so the lexing and parsing are done once. ASTs are
 * never mutated by the resolver or compiler. Failed parses are not cached (they throw).
 */
const PARSED = new Map<string, ReturnType<typeof parse>>()
const PARSED_MAX = 1000

function parseCached(expr: string) {
  let ast = PARSED.get(expr)
  if (!ast) {
    ast = parse(expr)
    if (PARSED.size >= PARSED_MAX) PARSED.delete(PARSED.keys().next().value!)
    PARSED.set(expr, ast)
  }
  return ast
}

/** Compiles a filter or rule expression to a parenthesized boolean SQL expression. */
export function compileFilter(expr: string, opts: CompileOptions): Sql {
  if (typeof expr !== 'string' || expr.trim() === '') throw new RuleError('invalid filter expression: empty expression')
  return sql`(${compileExpr(makeContext(opts), parseCached(expr))})`
}

/**
 * Checks a rule when a collection is saved: null if it compiles against an empty guest request,
 * else the error message. `""` (public) is valid. Pass the store's dialect: a few spellings (strftime()
 * modifiers) exist on one engine only.
 */
export function validateRule(expr: string, schema: SchemaLookup, collection: Collection, dialect: SqlDialect = sqliteDialect): string | null {
  if (expr.trim() === '') return null
  try {
    compileFilter(expr, { schema, collection, alias: 'r', request: guestRequest(), restricted: false, dialect })
    return null
  } catch (e) {
    if (e instanceof RuleError) return e.message
    throw e
  }
}
