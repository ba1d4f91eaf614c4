// Functions in operands: strftime() (SQLite's, spelled by the dialect) and geoDistance() (haversine, km).
import { DialectUnsupportedError } from '../store/dialects/types.ts'
import { sql, type Sql } from '../store/sql.ts'
import type { Operand as AstOperand } from './ast.ts'
import { RuleError, quote } from './errors.ts'
import type { Ctx, Operand } from './resolve-context.ts'

type Resolve = (ctx: Ctx, o: AstOperand) => Operand

/** `strftime(format, [timeValue, modifiers…])` as PocketBase v0.36: SQLite strftime, NULL -> ''. */
export function resolveFunc(ctx: Ctx, f: Extract<AstOperand, { kind: 'func' }>, resolve: Resolve): Operand {
  if (f.name === 'geoDistance') return geoDistance(ctx, f, resolve)
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

const EARTH_RADIUS_KM = 6371

/**
 * `geoDistance(lonA, latA, lonB, latB)` (PocketBase v0.27): great-circle distance in km by the
 * haversine formula, in math functions both engines have (sin, cos, asin, sqrt, radians). Arguments
 * are identifiers (e.g. `loc.lon`) or numbers; the asin argument is clamped to 1 against rounding.
 */
function geoDistance(ctx: Ctx, f: Extract<AstOperand, { kind: 'func' }>, resolve: Resolve): Operand {
  if (f.args.length !== 4) throw new RuleError('geoDistance() needs 4 arguments: lonA, latA, lonB, latB')
  if (f.args.some((a) => a.kind !== 'ident' && a.kind !== 'number')) throw new RuleError('geoDistance() arguments must be fields or numbers')
  const d = ctx.opts.dialect
  const ops = f.args.map((a) => resolve(ctx, a))
  // Bound numbers carry no type on strict engines: cast everything that is not already a JSON number.
  const [lonA, latA, lonB, latB] = ops.map((o) => (o.type === 'json' ? d.jsonAs(o.value, 'number') : o.type === 'number' && !d.strictTypes ? o.value : d.cast(o.value, 'number')))
  const h = sql`(power(sin(radians(${latB} - ${latA}) / 2), 2) + cos(radians(${latA})) * cos(radians(${latB})) * power(sin(radians(${lonB} - ${lonA}) / 2), 2))`
  const value = sql`(${EARTH_RADIUS_KM * 2} * asin(sqrt(CASE WHEN ${h} > 1 THEN 1 ELSE ${h} END)))`
  return {
    value,
    joins: ops.flatMap((o) => o.joins),
    multi: ops.some((o) => o.multi),
    guards: ops.flatMap((o) => o.guards),
    type: 'number',
    noCoalesce: true,
  }
}
