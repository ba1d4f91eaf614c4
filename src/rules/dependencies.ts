// What a rule reads: lets a write be refused before its body is read when the answer cannot depend on it.
import { forEachOperand } from './ast.ts'
import { parse } from './parser.ts'

export interface RuleDependencies {
  /** Reads `@request.body.*` (the submitted values). */
  body: boolean
  /** Reads the record itself (its fields, back-relations): the would-be row of a create, the stored row of an update. */
  record: boolean
}

const UNKNOWN: RuleDependencies = { body: true, record: true }
/** Parsed as identifiers, but literals. */
const LITERALS = new Set(['true', 'false', 'null'])

/**
 * `@request.auth/headers/query/method/context`, `@collection.*` and macros (`@now`) are known before the
 * body is read; `@request.body.*` and bare field names are not. An expression that does not parse reads
 * "everything" (the normal path reports the error). `isField`: a field named `true` is a field, not the literal.
 */
export function ruleDependencies(expr: string, isField: (name: string) => boolean = () => false): RuleDependencies {
  let ast
  try { ast = parse(expr) } catch { return UNKNOWN }
  const out: RuleDependencies = { body: false, record: false }
  forEachOperand(ast, (o) => {
    if (o.kind !== 'ident') return
    const name = o.name
    if (name === '@request.body' || name.startsWith('@request.body.') || name.startsWith('@request.body:')) out.body = true
    else if (!name.startsWith('@') && !(LITERALS.has(name.toLowerCase()) && !isField(name))) out.record = true
  })
  return out
}
