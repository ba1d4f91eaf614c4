// Compiler: AST -> boolean SQL with bound values; multi-valued operands become correlated EXISTS subqueries.
import type { Collection } from '../core/collections/types.ts'
import { sql, type Sql } from '../store/sql.ts'
import { baseOp, forEachOperand, isAnyOp, type BaseOp, type Expr } from './ast.ts'
import { MAX_GENERATED_SOURCES, RuleError } from './errors.ts'
import { parse } from './parser.ts'
import { comparison } from './compare.ts'
import { andSql, table, type CompileOptions, type Ctx, type Join, type Operand, type Scope } from './resolve-context.ts'
import { collectionKey, resolveOperand } from './resolve.ts'

/** A fresh context; nested listRule compiles share `counter` so every generated alias is unique. */
export function makeContext(opts: CompileOptions, counter = { n: 0 }): Ctx {
  return {
    opts,
    now: opts.now ?? new Date(),
    env: new Map(),
    sortMode: false,
    nextAlias: (prefix) => {
      if (++counter.n > MAX_GENERATED_SOURCES) throw new RuleError('filter expression is too complex (too many joined sources)')
      return `__${prefix}${counter.n}`
    },
    joinRule: (collection, alias) => {
      if (!opts.restricted) return null
      const rule = collection.listRule
      if (rule === null || rule === undefined) {
        throw new RuleError(`cannot filter through collection "${collection.name}": its list rule is superusers only`)
      }
      if (rule.trim() === '') return null
      // The joined rows must be ones the requester could list; the rule itself runs unrestricted.
      const nested = makeContext({ ...opts, collection, alias, restricted: false }, counter)
      return compileExpr(nested, parse(rule))
    },
  }
}

/**
 * Compiles an expression. `@collection.x[:alias]` references are joined once per alias and AND-group:
 * items of one `&&` chain that share an alias are compiled inside ONE `EXISTS (… FROM x …)`, so they
 * talk about the same row (PocketBase joins each alias once). `||` distributes over EXISTS, so OR
 * items are compiled independently.
 */
export function compileExpr(ctx: Ctx, e: Expr): Sql {
  if (e.kind === 'or') return sql`(${sql.join(e.items.map((i) => compileExpr(ctx, i)), ' OR ')})`
  const parts = groupByCollection(ctx, e.kind === 'and' ? e.items : [e]).map((g) =>
    g.keys.size ? bindGroup(ctx, g) : compileItem(ctx, g.items[0]))
  return parts.length === 1 ? parts[0] : sql`(${sql.join(parts, ' AND ')})`
}

function compileItem(ctx: Ctx, e: Expr): Sql {
  return e.kind === 'cmp' ? compileCmp(ctx, e) : compileExpr(ctx, e)
}

interface Group { items: Expr[]; keys: Map<string, Collection> }

function unboundKeys(ctx: Ctx, e: Expr): Map<string, Collection> {
  const keys = new Map<string, Collection>()
  forEachOperand(e, (o) => {
    const k = o.kind === 'ident' ? collectionKey(ctx, o.name) : null
    if (k && !ctx.env.has(k.key)) keys.set(k.key, k.collection)
  })
  return keys
}

/** Union of items sharing any unbound @collection key; items without keys stay alone. */
function groupByCollection(ctx: Ctx, items: Expr[]): Group[] {
  const groups: Group[] = []
  for (const item of items) {
    const g: Group = { items: [item], keys: unboundKeys(ctx, item) }
    if (g.keys.size) {
      for (const other of groups.filter((o) => [...o.keys.keys()].some((k) => g.keys.has(k)))) {
        groups.splice(groups.indexOf(other), 1)
        g.items.unshift(...other.items)
        other.keys.forEach((c, k) => g.keys.set(k, c))
      }
    }
    groups.push(g)
  }
  return groups
}

function bindGroup(ctx: Ctx, g: Group): Sql {
  const env = new Map<string, Scope>(ctx.env)
  const joins: Join[] = []
  g.keys.forEach((collection, key) => {
    const alias = ctx.nextAlias('c')
    env.set(key, { alias, collection })
    joins.push({ source: table(ctx, collection, alias), on: andSql([ctx.joinRule(collection, alias)]) })
  })
  const inner: Ctx = { ...ctx, env }
  const body = andSql(g.items.map((i) => compileItem(inner, i)))
  return sql`EXISTS (SELECT 1 FROM ${fromJoins(ctx, joins)} WHERE ${body})`
}

function compileCmp(ctx: Ctx, e: Extract<Expr, { kind: 'cmp' }>): Sql {
  const op = baseOp(e.op)
  const any = isAnyOp(e.op)
  const resolve = (c: Ctx): [Operand, Operand] => [resolveOperand(c, e.left), resolveOperand(c, e.right)]
  const out = quantify(ctx, op, any, resolve)
  if (any || !usesBoundKey(ctx, e)) return out
  // Plain operator on a bound @collection row: PocketBase also requires EVERY row of it to match.
  const [L, R] = resolve({ ...ctx, env: new Map() })
  return sql`(${out} AND ${noneFails(ctx, op, L, R)})`
}

function usesBoundKey(ctx: Ctx, e: Expr): boolean {
  let found = false
  forEachOperand(e, (o) => {
    if (o.kind === 'ident' && ctx.env.has(collectionKey(ctx, o.name)?.key ?? '')) found = true
  })
  return found
}

/**
 * Any-of (`?=`): EXISTS a row satisfying the comparison. All (`=` on a multi-valued operand):
 * EXISTS a satisfying row AND NOT EXISTS a row where it is false — PocketBase's
 * `expr AND NOT EXISTS(… WHERE NOT expr)`. Every iteration source starts from a one-row dummy
 * LEFT JOINed to the value sources, so an EMPTY set behaves as a single NULL value, exactly like
 * PocketBase's LEFT JOIN: `tags.name = "x"` is false, `tags.name != "x"` and `tags:each = ""` are
 * true for a post without tags. The operands are resolved again for the NOT EXISTS half so that
 * every generated alias stays unique.
 */
function quantify(ctx: Ctx, op: BaseOp, any: boolean, resolve: (c: Ctx) => [Operand, Operand]): Sql {
  const [L, R] = resolve(ctx)
  const p = predicate(ctx, op, L, R)
  const joins = [...L.joins, ...R.joins]
  if (!joins.length) return p
  const exists = sql`EXISTS (SELECT 1 FROM ${fromJoins(ctx, joins)} WHERE ${p})`
  if (any || !(L.multi || R.multi)) return exists
  const [L2, R2] = resolve(ctx)
  return sql`(${exists} AND ${noneFails(ctx, op, L2, R2)})`
}

function noneFails(ctx: Ctx, op: BaseOp, L: Operand, R: Operand): Sql {
  const from = fromJoins(ctx, [...L.joins, ...R.joins])
  return sql`NOT EXISTS (SELECT 1 FROM ${from} WHERE NOT (${predicate(ctx, op, L, R)}))`
}

function predicate(ctx: Ctx, op: BaseOp, L: Operand, R: Operand): Sql {
  return andSql([comparison(ctx, op, L, R), ...L.guards, ...R.guards])
}

export function fromJoins(ctx: Ctx, joins: Join[]): Sql {
  const dummy = sql`(SELECT 1) AS ${ctx.opts.dialect.ident(ctx.nextAlias('d'))}`
  return sql.join([dummy, ...joins.map((j) => sql`LEFT JOIN ${j.source} ON ${j.on}`)], ' ')
}

export { comparison, likePattern } from './compare.ts'
