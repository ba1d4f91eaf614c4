// Public surface of the rule/filter language: compile filters and sorts to SQL, validate rules.
import type { Collection, SchemaLookup } from '../core/collections/types.ts'
import { sqliteDialect } from '../store/dialects/sqlite.ts'
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

/** Compiles a filter or rule expression to a parenthesized boolean SQL expression. */
export function compileFilter(expr: string, opts: CompileOptions): Sql {
  if (typeof expr !== 'string' || expr.trim() === '') throw new RuleError('invalid filter expression: empty expression')
  const ast = parse(expr)
  return sql`(${compileExpr(makeContext(opts), ast)})`
}

/**
 * Checks a rule when a collection is saved: null if it compiles against an empty guest request,
 * else the error message. `""` (public) is valid.
 */
export function validateRule(expr: string, schema: SchemaLookup, collection: Collection): string | null {
  if (expr.trim() === '') return null
  try {
    compileFilter(expr, { schema, collection, alias: 'r', request: guestRequest(), restricted: false, dialect: sqliteDialect })
    return null
  } catch (e) {
    if (e instanceof RuleError) return e.message
    throw e
  }
}
