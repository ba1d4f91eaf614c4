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

// --- Strict typing (PostgreSQL): both sides get one type, chosen as SQLite would compare them ---
//
// SQLite: a stored TEXT column turns a number into text; a stored NUMERIC column turns numeric-looking
// text into a number; JSON values (json_extract / json_each) keep their JSON type; otherwise values of
// different types never compare equal and every number sorts before every text.

type Unified =
  | { type: ValueType; l: Sql; r: Sql }
  /** A number against non-numeric text: decided by SQLite's type order (numbers before text). */
  | { mixed: true; num: Operand; numLeft: boolean }

const NUMERIC_TEXT = /^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/

/** `o` as an expression of `type`; known values are bound with an explicit cast. */
function as(ctx: Ctx, o: Operand, type: ValueType): Sql {
  const d = ctx.opts.dialect
  if (type === 'json') return o.type === 'json' ? o.value : d.textToJson(as(ctx, o, 'text'))
  if (o.type === 'json') return d.jsonAs(o.value, type)
  if (o.known && type === 'number' && o.type === 'text') return d.cast(sql.value(Number(o.known.value)), 'number')
  if (o.known || o.type !== type) return d.cast(o.value, type)
  return o.value
}

function unify(ctx: Ctx, L: Operand, R: Operand): Unified {
  const tl = L.type ?? R.type ?? 'text'
  const tr = R.type ?? L.type ?? 'text'
  const same = (type: ValueType): Unified => ({ type, l: as(ctx, L, type), r: as(ctx, R, type) })
  if (tl === tr) return same(tl)
  if (tl === 'json' || tr === 'json') {
    const other = tl === 'json' ? R : L
    const otherType = tl === 'json' ? tr : tl
    // A JSON value against a stored text column takes the column's TEXT affinity; against a bound or
    // computed text it keeps its type (a JSON number never equals text).
    if (otherType === 'text' && !other.affinity) return same('json')
    return same(otherType)
  }
  const [T, N, numLeft] = tl === 'number' ? [R, L, true] : [L, R, false]
  if (T.known && !N.known) {
    return N.affinity && NUMERIC_TEXT.test(String(T.known.value)) ? same('number') : { mixed: true, num: N, numLeft }
  }
  if (N.known && !T.known && !T.affinity) return { mixed: true, num: N, numLeft }
  if (N.known && T.known) return { mixed: true, num: N, numLeft }
  return same('text')
}

/** SQLite's outcome of comparing a number with text: never equal, the number is smaller; NULL stays NULL. */
function mixedOutcome(ctx: Ctx, op: BaseOp, m: { num: Operand; numLeft: boolean }, nullSafe: boolean): Sql {
  const truth =
    op === '=' ? false
      : op === '!=' ? true
        : (op === '<' || op === '<=') === m.numLeft
  if (nullSafe || m.num.known) return sql.raw(truth ? 'TRUE' : 'FALSE')
  return sql`(CASE WHEN ${m.num.value} IS NULL THEN NULL ELSE ${sql.raw(truth ? 'TRUE' : 'FALSE')} END)`
}

function typedComparison(ctx: Ctx, op: BaseOp, L: Operand, R: Operand): Sql {
  const d = ctx.opts.dialect
  switch (op) {
    case '=':
    case '!=': return typedEquality(ctx, op === '=', L, R)
    case '~':
    case '!~': {
      const pattern = R.text !== undefined ? sql.value(likePattern(R.text)) : sql`('%' || ${as(ctx, R, 'text')} || '%')`
      return d.like(as(ctx, L, 'text'), pattern, op === '!~')
    }
    default: {
      const u = unify(ctx, L, R)
      if ('mixed' in u) return mixedOutcome(ctx, op, u, false)
      const l = u.type === 'text' ? d.binaryOrder(u.l) : u.l
      return sql`${l} ${sql.raw(op)} ${u.r}`
    }
  }
}

function typedEquality(ctx: Ctx, eq: boolean, L: Operand, R: Operand): Sql {
  const d = ctx.opts.dialect
  const op = eq ? '=' : '!='
  const nullSafe = (l: Sql, r: Sql) => (eq ? d.is(l, r) : d.isNot(l, r))
  if (L.noCoalesce || R.noCoalesce) {
    const u = unify(ctx, L, R)
    return 'mixed' in u ? mixedOutcome(ctx, op, u, true) : nullSafe(u.l, u.r)
  }
  const lEmpty = isEmpty(L)
  const rEmpty = isEmpty(R)
  const blank = sql.raw("''")
  const textCmp = (l: Sql, r: Sql) => (eq ? sql`${l} = ${r}` : d.isNot(l, r))
  if (lEmpty && rEmpty) return textCmp(blank, blank)
  if (isKnownNonEmpty(L) || isKnownNonEmpty(R)) {
    const u = unify(ctx, lEmpty ? knownOperand('') : L, rEmpty ? knownOperand('') : R)
    if ('mixed' in u) return mixedOutcome(ctx, op, u, !eq)
    return eq ? sql`${u.l} = ${u.r}` : d.isNot(u.l, u.r)
  }
  const other = lEmpty ? R : rEmpty ? L : null
  if (other) {
    // A number is never '' (only NULL folds); JSON values fold by their text.
    if (other.type === 'number') return sql`${other.value} ${sql.raw(eq ? 'IS NULL' : 'IS NOT NULL')}`
    const x = as(ctx, other, 'text')
    return eq ? sql`(${x} = '' OR ${x} IS NULL)` : sql`(${d.isNot(x, blank)} AND ${x} IS NOT NULL)`
  }
  const u = unify(ctx, L, R)
  if ('mixed' in u) return mixedOutcome(ctx, op, u, !eq)
  // COALESCE(x, '') folding only means something for text; for numbers / JSON it is "NULL equals NULL".
  if (u.type !== 'text') return nullSafe(u.l, u.r)
  return textCmp(sql`COALESCE(${u.l}, '')`, sql`COALESCE(${u.r}, '')`)
}
