// RuleError and the hard limits of the filter/rule language (PocketBase tools/search limits).

/** Any parse, resolve or limit failure of a filter, sort or rule; callers map it to 400. */
export class RuleError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'RuleError'
  }
}

/** Quotes user-supplied names for messages, cut short so errors never echo kilobytes of input. */
export function quote(name: string): string {
  return JSON.stringify(name.length > 64 ? `${name.slice(0, 64)}…` : name)
}

/** PocketBase `MaxFilterLength`; applied to rules too so one parser bound covers every input. */
export const MAX_EXPR_LENGTH = 3500
/** PocketBase `maxExpressions`: comparison expressions per filter. */
export const MAX_EXPRESSIONS = 200
/** Parenthesis nesting (groups + function calls); keeps the recursive parser far from the stack limit. */
export const MAX_NESTING_DEPTH = 32
/** PocketBase `maxNestedRels`: relation hops in one identifier path. */
export const MAX_RELATION_DEPTH = 6
/** Nested function calls including the outer one (fexpr). */
export const MAX_FUNC_DEPTH = 3
export const MAX_FUNC_ARGS = 10
/**
 * Generated subquery sources (tables, json_each, dummies) per compile, nested listRules included:
 * bounds the SQL a 3500-char filter can expand to when each hop ANDs in a long listRule.
 */
export const MAX_GENERATED_SOURCES = 3000
export const MAX_SORT_TERMS = 8
export const MAX_SORT_TERM_LENGTH = 255
