// Functions in operands: strftime() on SQLite; geoDistance() is rejected (no geoPoint fields in Basalt).
import { sql } from '../store/sql.ts'
import type { Operand as AstOperand } from './ast.ts'
import { RuleError, quote } from './errors.ts'
import type { Ctx, Operand } from './resolve-context.ts'

type Resolve = (ctx: Ctx, o: AstOperand) => Operand

/** `strftime(format, [timeValue, modifiers…])` as PocketBase v0.36: SQLite strftime, NULL -> ''. */
export function resolveFunc(ctx: Ctx, f: Extract<AstOperand, { kind: 'func' }>, resolve: Resolve): Operand {
  if (f.name === 'geoDistance') throw new RuleError('geoDistance() is not supported')
  if (f.name !== 'strftime') throw new RuleError(`unknown function ${quote(f.name)}`)
  if (ctx.opts.dialect.name !== 'sqlite') throw new RuleError('strftime() is only supported on SQLite')
  const [format, value, ...modifiers] = f.args
  if (format?.kind !== 'text') throw new RuleError('strftime() needs a text format as first argument')
  if (modifiers.some((m) => m.kind !== 'text')) throw new RuleError('strftime() modifiers must be text')
  const args = [sql.value(format.value)]
  let inner: Operand | undefined
  if (value) {
    inner = resolve(ctx, value)
    args.push(inner.value)
  }
  for (const m of modifiers) args.push(sql.value((m as { value: string }).value))
  return {
    value: sql`COALESCE(strftime(${sql.join(args)}), '')`,
    joins: inner?.joins ?? [],
    multi: inner?.multi ?? false,
    guards: inner?.guards ?? [],
  }
}
