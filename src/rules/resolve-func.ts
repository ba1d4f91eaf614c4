// Functions in operands: strftime() (SQLite's, spelled by the dialect); geoDistance() is rejected (no geoPoint fields in Basalt).
import { DialectUnsupportedError } from '../store/dialects/types.ts'
import type { Sql } from '../store/sql.ts'
import type { Operand as AstOperand } from './ast.ts'
import { RuleError, quote } from './errors.ts'
import type { Ctx, Operand } from './resolve-context.ts'

type Resolve = (ctx: Ctx, o: AstOperand) => Operand

/** `strftime(format, [timeValue, modifiers…])` as PocketBase v0.36: SQLite strftime, NULL -> ''. */
export function resolveFunc(ctx: Ctx, f: Extract<AstOperand, { kind: 'func' }>, resolve: Resolve): Operand {
  if (f.name === 'geoDistance') throw new RuleError('geoDistance() is not supported')
  if (f.name !== 'strftime') throw new RuleError(`unknown function ${quote(f.name)}`)
  const d = ctx.opts.dialect
  const [format, value, ...modifiers] = f.args
  if (format?.kind !== 'text') throw new RuleError('strftime() needs a text format as first argument')
  if (modifiers.some((m) => m.kind !== 'text')) throw new RuleError('strftime() modifiers must be text')
  let inner: Operand | undefined
  let time: Sql | null = null
  if (value) {
    inner = resolve(ctx, value)
    // SQLite reads the time value as is; strict engines get it as text.
    time = !d.strictTypes ? inner.value : inner.type === 'json' ? d.jsonAs(inner.value, 'text') : d.cast(inner.value, 'text')
  }
  let expr: Sql
  try {
    expr = d.strftime(format.value, time, modifiers.map((m) => (m as { value: string }).value))
  } catch (e) {
    if (e instanceof DialectUnsupportedError) throw new RuleError(e.message, { cause: e })
    throw e
  }
  return {
    value: expr,
    joins: inner?.joins ?? [],
    multi: inner?.multi ?? false,
    guards: inner?.guards ?? [],
    type: 'text',
  }
}
