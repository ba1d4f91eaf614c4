// Comparisons of two resolved operands: PocketBase's NULL/'' folding, LIKE, and — on engines with strict
// typing (PostgreSQL) — reconciling operand types the way SQLite's affinity rules would compare them.
import { sql, type Sql } from '../store/sql.ts'
import type { BaseOp } from './ast.ts'
import { knownOperand, type Ctx, type Operand, type ValueType } from './resolve-context.ts'

const isEmpty = (o: Operand) => !!o.known && (o.known.value === null || o.known.value === '')
const isKnownNonEmpty = (o: Operand) => !!o.known && !isEmpty(o)

export function comparison(ctx: Ctx, op: BaseOp, L: Operand, R: Operand): Sql {
  return ctx.opts.dialect.strictTypes ? typedComparison(ctx, op, L, R) : affinityComparison(ctx, op, L, R)
}

/** Text without an unescaped `%` is escaped and wrapped as contains; otherwise it is the pattern. */
export function likePattern(text: string): string {
  let unescapedPercent = false
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\') i++
    else if (text[i] === '%') unescapedPercent = true
  }
  if (unescapedPercent) return text
  let out = ''
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    const next = text[i + 1]
    if (c === '\\' && (next === '\\' || next === '%' || next === '_')) { out += c + next; i++ }
    else out += c === '\\' || c === '%' || c === '_' ? '\\' + c : c
  }
  return `%${out}%`
}

// --- SQLite: values compare by affinity, parameters bind with their own type ---

function affinityComparison(ctx: Ctx, op: BaseOp, L: Operand, R: Operand): Sql {
  const d = ctx.opts.dialect
  switch (op) {
    case '=':
    case '!=': return equality(ctx, op === '=', L, R)
    case '~':
    case '!~': {
      const pattern = R.text !== undefined ? sql.value(likePattern(R.text)) : sql`('%' || ${R.value} || '%')`
      return d.like(L.value, pattern, op === '!~')
    }
    default: return sql`${L.value} ${sql.raw(op)} ${R.value}`
  }
}

/** `=` / `!=` with PocketBase's NULL-equals-'' folding (filter.go resolveEqualExpr). */
function equality(ctx: Ctx, eq: boolean, L: Operand, R: Operand): Sql {
  const d = ctx.opts.dialect
  const cmp = (l: Sql, r: Sql) => (eq ? sql`${l} = ${r}` : d.isNot(l, r))
  if (L.noCoalesce || R.noCoalesce) return eq ? d.is(L.value, R.value) : d.isNot(L.value, R.value)
  const lEmpty = isEmpty(L)
  const rEmpty = isEmpty(R)
  const blank = sql.raw("''")
  if (lEmpty && rEmpty) return cmp(blank, blank)
  if (isKnownNonEmpty(L) || isKnownNonEmpty(R)) return cmp(lEmpty ? blank : L.value, rEmpty ? blank : R.value)
  const x = lEmpty ? R.value : rEmpty ? L.value : null
  if (x) return eq ? sql`(${x} = '' OR ${x} IS NULL)` : sql`(${d.isNot(x, blank)} AND ${x} IS NOT NULL)`
  return cmp(sql`COALESCE(${L.value}, '')`, sql`COALESCE(${R.value}, '')`)
}

// --- Strict typing (PostgreSQL): SQLite's comparison semantics spelled with explicit types ---
//
// SQLite first applies column affinity (a stored NUMERIC column turns numeric-looking text on the other
// side into a number; a stored TEXT column turns a number into text), then compares by storage class:
// NULL is unknown, numbers compare numerically, text in byte order, and every number sorts before every
// text. JSON values (json_extract / json_each) carry their class at run time: numbers and booleans are
// numbers, strings and containers are text. Bound parameters have no affinity.

type Cls = 'n' | 't'

/** A comparison side: its class (static, or an SQL expression yielding 'n' / 't' / NULL) and values. */
interface Side {
  cls: Cls | Sql
  /** The value as a number (valid when the class is 'n'). */
  n: Sql
  /** The value as text (valid when the class is 't'). */
  t: Sql
  /** SQL condition "the value is NULL"; null when it never is. */
  isNull: Sql | null
  /** Known text that would turn into this number under NUMERIC affinity. */
  numeric?: number
  /** Text this value turns into under TEXT affinity, when it differs from a plain cast. */
  text?: Sql
  affinity?: 'numeric' | 'text' | 'blob'
}

const NUMERIC_TEXT = /^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/

/** How SQLite spells a REAL (every JS number binds as one) as text: `3` -> `3.0`. */
export function realText(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e15) return `${n}.0`
  const s = String(n)
  return /[.e]/.test(s) ? s : `${s}.0`
}

function side(ctx: Ctx, o: Operand): Side {
  const d = ctx.opts.dialect
  const affinity = o.affinity ? (o.type === 'number' ? 'numeric' : o.type === 'text' ? 'text' : undefined) : o.blob ? 'blob' : undefined
  if (o.known) {
    const v = o.known.value
    if (v === null) return { cls: 't', n: sql.raw('NULL'), t: sql.raw('NULL::text'), isNull: sql.raw('TRUE') }
    if (o.type === 'number') {
      const num = Number(v)
      return { cls: 'n', n: d.cast(o.value, 'number'), t: d.cast(o.value, 'text'), isNull: null, text: sql.value(realText(num)) }
    }
    const t = d.cast(o.value, 'text')
    const str = String(v)
    return { cls: 't', n: sql.raw('NULL'), t, isNull: null, numeric: NUMERIC_TEXT.test(str) && o.value.chunks.length === 1 ? Number(str) : undefined }
  }
  if (o.type === 'json') {
    return { cls: d.jsonClass(o.value), n: d.jsonAs(o.value, 'number'), t: d.jsonAs(o.value, 'text'), isNull: sql`${o.value} IS NULL`, affinity }
  }
  if (o.type === 'number') return { cls: 'n', n: o.value, t: d.cast(o.value, 'text'), isNull: sql`${o.value} IS NULL`, affinity }
  return { cls: 't', n: sql.raw('NULL'), t: o.value, isNull: sql`${o.value} IS NULL`, affinity }
}

/** NUMERIC affinity applied to `s` (the other side is a stored number). */
function numericAffinity(ctx: Ctx, s: Side): Side {
  const d = ctx.opts.dialect
  if (s.cls === 'n' || s.affinity === 'numeric') return s
  if (s.cls === 't') {
    if (!s.isNull) return s.numeric === undefined ? s : { ...s, cls: 'n', n: d.cast(sql.value(s.numeric), 'number') }
    const num = d.textToNumber(s.t)
    return { ...s, cls: sql`(CASE WHEN ${s.t} IS NULL THEN NULL WHEN ${num} IS NOT NULL THEN 'n' ELSE 't' END)`, n: num }
  }
  const num = d.textToNumber(s.t)
  return { ...s, cls: sql`(CASE WHEN ${s.cls} = 't' AND ${num} IS NOT NULL THEN 'n' ELSE ${s.cls} END)`, n: sql`COALESCE(${s.n}, ${num})` }
}

/** TEXT affinity applied to `s` (the other side is a stored text, `s` has no affinity). */
function textAffinity(s: Side): Side {
  if (s.cls === 't') return s
  return { ...s, cls: 't', t: s.text ?? s.t }
}

function withAffinity(ctx: Ctx, L: Operand, R: Operand): [Side, Side] {
  let l = side(ctx, L)
  let r = side(ctx, R)
  if (l.affinity === 'numeric' && r.affinity !== 'numeric') r = numericAffinity(ctx, r)
  else if (r.affinity === 'numeric' && l.affinity !== 'numeric') l = numericAffinity(ctx, l)
  else if (l.affinity === 'text' && !r.affinity) r = textAffinity(r)
  else if (r.affinity === 'text' && !l.affinity) l = textAffinity(l)
  return [l, r]
}

type Mode = 'plain' | 'distinct' | 'same'

const TRUE = sql.raw('TRUE')
const FALSE = sql.raw('FALSE')
const bool = (b: boolean) => (b ? TRUE : FALSE)

/** SQLite's answer for a number against a text: never equal, the number is smaller. */
function mixedTruth(op: BaseOp, numLeft: boolean): boolean {
  if (op === '=') return false
  if (op === '!=') return true
  return (op === '<' || op === '<=') === numLeft
}

const or = (a: Sql | null, b: Sql | null): Sql | null => (a && b ? sql`(${a} OR ${b})` : a ?? b)
const and = (a: Sql | null, b: Sql | null): Sql => (a && b ? sql`(${a} AND ${b})` : FALSE)

/**
 * `l op r` with SQLite's semantics. `plain`: NULL if a side is NULL; `distinct` / `same`: IS [NOT]
 * DISTINCT FROM (op is '!=' / '=').
 */
function compareSides(ctx: Ctx, op: BaseOp, l: Side, r: Side, mode: Mode): Sql {
  const d = ctx.opts.dialect
  const direct = (cls: Cls): Sql => {
    const [a, b] = cls === 'n' ? [l.n, r.n] : [l.t, r.t]
    if (mode === 'same') return d.is(a, b)
    if (mode === 'distinct') return d.isNot(a, b)
    return sql`${cls === 't' && op !== '=' && op !== '!=' ? d.binaryOrder(a) : a} ${sql.raw(op === '!=' ? '<>' : op)} ${b}`
  }
  const nullCase = (): Sql => {
    if (mode === 'plain') return sql.raw('NULL')
    const both = and(l.isNull, r.isNull)
    return mode === 'same' ? both : sql`NOT ${both}`
  }
  if (typeof l.cls === 'string' && typeof r.cls === 'string') {
    if (l.cls === r.cls) return direct(l.cls)
    const truth = bool(mixedTruth(op, l.cls === 'n'))
    const anyNull = or(l.isNull, r.isNull)
    if (mode !== 'plain') return nullCase()
    return anyNull ? sql`(CASE WHEN ${anyNull} THEN NULL ELSE ${truth} END)` : truth
  }
  const k = (s: Side): Sql => (typeof s.cls !== 'string' ? s.cls : s.isNull ? sql`(CASE WHEN ${s.isNull} THEN NULL ELSE ${sql.raw(`'${s.cls}'`)} END)` : sql.raw(`'${s.cls}'`))
  const kl = k(l)
  const kr = k(r)
  const inner = (cls: Cls): Sql => {
    const [a, b] = cls === 'n' ? [l.n, r.n] : [l.t, r.t]
    const o = op === '!=' ? '<>' : op
    return sql`${cls === 't' && op !== '=' && op !== '!=' ? d.binaryOrder(a) : a} ${sql.raw(o)} ${b}`
  }
  const nulls = mode === 'plain' ? sql.raw('NULL') : mode === 'same' ? sql`(${kl} IS NULL AND ${kr} IS NULL)` : sql`NOT (${kl} IS NULL AND ${kr} IS NULL)`
  return sql`(CASE WHEN ${kl} IS NULL OR ${kr} IS NULL THEN ${nulls} WHEN ${kl} = ${kr} THEN (CASE WHEN ${kl} = 'n' THEN ${inner('n')} ELSE ${inner('t')} END) WHEN ${kl} = 'n' THEN ${bool(mixedTruth(op, true))} ELSE ${bool(mixedTruth(op, false))} END)`
}

/** `o` as text, as SQLite's LIKE reads it. */
function likeText(ctx: Ctx, o: Operand): Sql {
  const s = side(ctx, o)
  if (o.known && o.type === 'number') return s.text!
  return s.cls === 'n' ? s.t : s.t
}

/**
 * JSON values are read several times by the class-aware comparison: compute them once in a one-row
 * derived table (correlated like the expression itself) instead of repeating the extraction.
 */
function typedComparison(ctx: Ctx, op: BaseOp, L: Operand, R: Operand): Sql {
  const hoist = (o: Operand) => o.type === 'json' && !o.known
  if (!hoist(L) && !hoist(R)) return typedComparisonOf(ctx, op, L, R)
  const cols: Sql[] = []
  const ref = (o: Operand, name: string): Operand => {
    if (!hoist(o)) return o
    cols.push(sql`${o.value} AS ${sql.raw(`"${name}"`)}`)
    return { ...o, value: sql.raw(`"__v"."${name}"`) }
  }
  const l = ref(L, 'l')
  const r = ref(R, 'r')
  return sql`(SELECT ${typedComparisonOf(ctx, op, l, r)} FROM (SELECT ${sql.join(cols)}) AS "__v")`
}

function typedComparisonOf(ctx: Ctx, op: BaseOp, L: Operand, R: Operand): Sql {
  const d = ctx.opts.dialect
  switch (op) {
    case '=':
    case '!=': return typedEquality(ctx, op === '=', L, R)
    case '~':
    case '!~': {
      const pattern = R.text !== undefined ? sql.value(likePattern(R.text)) : sql`('%' || ${likeText(ctx, R)} || '%')`
      return d.like(likeText(ctx, L), pattern, op === '!~')
    }
    default: {
      const [l, r] = withAffinity(ctx, L, R)
      return compareSides(ctx, op, l, r, 'plain')
    }
  }
}

function typedEquality(ctx: Ctx, eq: boolean, L: Operand, R: Operand): Sql {
  const d = ctx.opts.dialect
  const op = eq ? '=' : '!='
  if (L.noCoalesce || R.noCoalesce) {
    const [l, r] = withAffinity(ctx, L, R)
    return compareSides(ctx, op, l, r, eq ? 'same' : 'distinct')
  }
  const lEmpty = isEmpty(L)
  const rEmpty = isEmpty(R)
  const blank = sql.raw("''")
  if (lEmpty && rEmpty) return eq ? sql`${blank} = ${blank}` : d.isNot(blank, blank)
  if (isKnownNonEmpty(L) || isKnownNonEmpty(R)) {
    const [l, r] = withAffinity(ctx, lEmpty ? knownOperand('') : L, rEmpty ? knownOperand('') : R)
    return compareSides(ctx, op, l, r, eq ? 'plain' : 'distinct')
  }
  const other = lEmpty ? R : rEmpty ? L : null
  if (other) {
    // `x = ''` (x keeps its affinity; '' never looks numeric) OR x IS NULL.
    const s = side(ctx, other)
    const isBlank = s.cls === 'n' ? null : s.cls === 't' ? sql`${s.t} = ''` : sql`(${s.cls} = 't' AND ${s.t} = '')`
    const cond = or(s.isNull, isBlank) ?? FALSE
    return eq ? sql`(${cond})` : sql`NOT (${cond})`
  }
  // COALESCE(L, '') vs COALESCE(R, ''): no affinity, NULL reads as ''.
  const fold = (s: Side): Side => {
    if (!s.isNull) return s
    if (s.cls === 't') return { ...s, t: sql`COALESCE(${s.t}, '')`, isNull: null }
    const cls = typeof s.cls === 'string' ? sql`(CASE WHEN ${s.isNull} THEN 't' ELSE 'n' END)` : sql`COALESCE(${s.cls}, 't')`
    return { ...s, cls, t: sql`COALESCE(${s.t}, '')`, isNull: null }
  }
  const l = side(ctx, L)
  const r = side(ctx, R)
  if (l.cls === 'n' && r.cls === 'n') return eq ? d.is(l.n, r.n) : d.isNot(l.n, r.n)
  return compareSides(ctx, op, fold(l), fold(r), eq ? 'plain' : 'distinct')
}
