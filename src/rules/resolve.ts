// Resolver: AST operands -> SQL operands against the schema (fields, relation paths, back-relations, @collection).
import { isMultiValued, type Collection, type Field, type RelationField } from '../core/collections/types.ts'
import { sql, type Sql } from '../store/sql.ts'
import type { Operand as AstOperand } from './ast.ts'
import { MAX_RELATION_DEPTH, RuleError, quote } from './errors.ts'
import { macroValue } from './macros.ts'
import {
  andSql, column, columnValueType, fieldOf, ident, knownOperand, splitModifier, table,
  type Ctx, type Join, type Modifier, type Operand, type Scope,
} from './resolve-context.ts'
import { resolveFunc } from './resolve-func.ts'
import { resolveRequest } from './resolve-request.ts'

/** Where a path walk currently stands: the table in scope plus what it took to get there. */
export interface PathState {
  scope: Scope
  joins: Join[]
  multi: boolean
  guards: Sql[]
  hops: number
}

export function mainState(ctx: Ctx): PathState {
  return { scope: { alias: ctx.opts.alias, collection: ctx.opts.collection }, joins: [], multi: false, guards: [], hops: 0 }
}

export function resolveOperand(ctx: Ctx, o: AstOperand): Operand {
  switch (o.kind) {
    case 'text': return knownOperand(o.value, { text: o.value })
    case 'number': return knownOperand(o.value)
    case 'func': return resolveFunc(ctx, o, resolveOperand)
    case 'ident': return resolveIdent(ctx, o.name)
  }
}

export function resolveIdent(ctx: Ctx, name: string): Operand {
  if (name.startsWith('@request.')) return resolveRequest(ctx, name.split('.').slice(1))
  if (name.startsWith('@collection.')) return resolveCollectionRef(ctx, name)
  if (name.startsWith('@')) {
    const v = macroValue(name, ctx.now)
    if (v === undefined) throw new RuleError(`unknown identifier ${quote(name)}`)
    return knownOperand(v)
  }
  const { segs, mod } = splitModifier(name.split('.'))
  const lower = segs[0].toLowerCase()
  // true/false/null are literals unless the collection has a field of that name (fexpr).
  if (segs.length === 1 && !mod && ['true', 'false', 'null'].includes(lower) && !fieldOf(ctx.opts.collection, segs[0])) {
    return knownOperand(lower === 'null' ? null : lower === 'true' ? 1 : 0)
  }
  return resolvePath(ctx, mainState(ctx), segs, mod)
}

/** The `@collection` join key (collection id + alias) of an identifier, or null for other identifiers. */
export function collectionKey(ctx: Ctx, name: string): { key: string; collection: Collection } | null {
  if (!name.startsWith('@collection.')) return null
  const seg = name.split('.')[1] ?? ''
  const colon = seg.indexOf(':')
  const colName = colon < 0 ? seg : seg.slice(0, colon)
  const alias = colon < 0 ? '' : seg.slice(colon + 1)
  const collection = ctx.opts.schema.find(colName)
  if (!colName || !collection) throw new RuleError(`unknown collection in ${quote(name)}`)
  if (colon >= 0 && !/^[A-Za-z0-9_]+$/.test(alias)) throw new RuleError(`invalid @collection alias in ${quote(name)}`)
  return { key: `${collection.id}:${alias}`, collection }
}

/** `@collection.name[:alias].path`: the bound row of an enclosing EXISTS, else its own multi-valued join. */
function resolveCollectionRef(ctx: Ctx, name: string): Operand {
  const { key, collection } = collectionKey(ctx, name)!
  const parts = name.split('.').slice(2)
  if (parts.length === 0) throw new RuleError(`${quote(name)} needs a field path`)
  const { segs, mod } = splitModifier(parts)
  const bound = ctx.env.get(key)
  if (bound) return resolvePath(ctx, { scope: bound, joins: [], multi: false, guards: [], hops: 0 }, segs, mod)
  const alias = ctx.nextAlias('c')
  const join = { source: table(ctx, collection, alias), on: andSql([ctx.joinRule(collection, alias)]) }
  return resolvePath(ctx, { scope: { alias, collection }, joins: [join], multi: true, guards: [], hops: 0 }, segs, mod)
}

function hop(hops: number): number {
  if (hops + 1 > MAX_RELATION_DEPTH) throw new RuleError(`relation path is too deep (max ${MAX_RELATION_DEPTH} levels)`)
  return hops + 1
}

/** Walks `segs` from `start`: relations and back-relations add joins, JSON fields take the rest as a JSON path. */
export function resolvePath(ctx: Ctx, start: PathState, segs: string[], mod: Modifier | null): Operand {
  if (mod === 'isset' || mod === 'changed') throw new RuleError(`the :${mod} modifier is only allowed on @request.* identifiers`)
  const st: PathState = { ...start, joins: [...start.joins], guards: [...start.guards] }
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i]
    const last = i === segs.length - 1
    const field = fieldOf(st.scope.collection, seg)
    if (!field) {
      backRelationHop(ctx, st, seg)
      if (!last) continue
      if (mod === 'length' || mod === 'each') throw new RuleError(`the :${mod} modifier is not supported on back-relation "${seg}"`)
      return finish(ctx, { ...st, value: column(ctx, st.scope, 'id'), type: 'text', affinity: true }, mod)
    }
    checkHidden(ctx, st.scope.collection, field)
    // `rel.id` is the stored id itself: no join needed.
    if (last || (field.type === 'relation' && i + 1 === segs.length - 1 && segs[i + 1] === 'id')) {
      return fieldValue(ctx, st.scope, field, mod, st)
    }
    if (field.type === 'json' || field.type === 'geoPoint') {
      if (mod === 'length' || mod === 'each') throw new RuleError(`the :${mod} modifier is not supported on JSON paths`)
      const path = segs.slice(i + 1).map((s) => (/^[0-9]+$/.test(s) ? Number(s) : s))
      const value = ctx.opts.dialect.jsonValue(column(ctx, st.scope, field.name), path)
      return finish(ctx, { ...st, value, type: 'json', noCoalesce: true }, mod)
    }
    if (field.type !== 'relation') throw new RuleError(`field ${quote(seg)} is not a relation and cannot be traversed`)
    relationHop(ctx, st, field)
  }
  throw new RuleError('invalid identifier: empty path')
}

/** Joins the relation's target by id (multi relations through json_each). Mutates `st`. */
function relationHop(ctx: Ctx, st: PathState, field: RelationField): void {
  const target = ctx.opts.schema.find(field.collectionId)
  if (!target) throw new RuleError(`relation "${field.name}" points to a missing collection`)
  st.hops = hop(st.hops)
  let idExpr = column(ctx, st.scope, field.name)
  if (isMultiValued(field)) {
    const je = ctx.nextAlias('j')
    st.joins.push({ source: ctx.opts.dialect.jsonEach(idExpr, je), on: sql.raw('1=1') })
    idExpr = sql`${ident(ctx, je)}.${sql.raw('value')}`
    st.multi = true
  }
  const alias = ctx.nextAlias('t')
  st.scope = { alias, collection: target }
  st.joins.push({ source: table(ctx, target, alias), on: andSql([sql`${column(ctx, st.scope, 'id')} = ${idExpr}`, ctx.joinRule(target, alias)]) })
}

/** Joins the rows of `<collection>_via_<field>` that reference the current row. Mutates `st`. */
function backRelationHop(ctx: Ctx, st: PathState, seg: string): void {
  const back = findBackRelation(ctx, st.scope.collection, seg)
  if (!back) throw new RuleError(`unknown field ${quote(seg)} in collection "${st.scope.collection.name}"`)
  checkHidden(ctx, back.collection, back.field)
  st.hops = hop(st.hops)
  const next = { alias: ctx.nextAlias('b'), collection: back.collection }
  const on = andSql([backCondition(ctx, next, back.field, st.scope), ctx.joinRule(back.collection, next.alias)])
  st.joins.push({ source: table(ctx, back.collection, next.alias), on })
  st.multi = true
  st.scope = next
}

type PathPart = Pick<Operand, 'joins' | 'multi' | 'guards'>

/** Value of the last field of a path; multi-valued columns are iterated with json_each. */
function fieldValue(ctx: Ctx, scope: Scope, field: Field, mod: Modifier | null, st: PathPart): Operand {
  const col = column(ctx, scope, field.name)
  const guards = [...st.guards, ...emailGuard(ctx, scope, field)]
  if (isMultiValued(field)) {
    if (mod === 'length') return { ...st, guards, value: ctx.opts.dialect.jsonArrayLength(col), type: 'number' }
    // Sorting by the whole array: its JSON text.
    if (ctx.sortMode && !mod) return { ...st, guards, value: ctx.opts.dialect.jsonAs(col, 'text'), type: 'text' }
    const je = ctx.nextAlias('j')
    const joins = [...st.joins, { source: ctx.opts.dialect.jsonEach(col, je), on: sql.raw('1=1') }]
    const value = sql`${ident(ctx, je)}.${sql.raw('value')}`
    return finish(ctx, { joins, guards, multi: true, value, type: 'text', blob: true }, mod === 'each' ? null : mod)
  }
  if (mod === 'length' || mod === 'each') throw new RuleError(`the :${mod} modifier requires a multi-valued field, "${field.name}" is not`)
  // Whole JSON values compare by their extracted primitive, without NULL/'' folding (PocketBase #4068).
  if (field.type === 'json' || field.type === 'geoPoint') return finish(ctx, { ...st, guards, value: ctx.opts.dialect.jsonValue(col, []), type: 'json', noCoalesce: true }, mod)
  return finish(ctx, { ...st, guards, value: col, type: columnValueType(field), affinity: true }, mod)
}

export function finish(ctx: Ctx, op: Operand, mod: Modifier | null): Operand {
  if (mod !== 'lower') return op
  const d = ctx.opts.dialect
  return { ...op, value: d.lower(op.type === 'json' ? d.jsonAs(op.value, 'text') : op.value), type: 'text', affinity: false, blob: false }
}

function checkHidden(ctx: Ctx, collection: Collection, field: Field): void {
  if (ctx.opts.restricted && field.hidden) {
    throw new RuleError(`field "${field.name}" of collection "${collection.name}" is not filterable`)
  }
}

/** Restricted mode: an auth record's email is only searchable when public (or the requester's own). */
function emailGuard(ctx: Ctx, scope: Scope, field: Field): Sql[] {
  if (!ctx.opts.restricted || scope.collection.type !== 'auth' || field.name !== 'email') return []
  const visible = sql`${column(ctx, scope, 'emailVisibility')} = 1`
  const auth = ctx.opts.request.auth
  const ownId = auth && auth.collection.id === scope.collection.id ? auth.record.id : undefined
  if (typeof ownId !== 'string' || !ownId) return [visible]
  return [sql`(${visible} OR ${column(ctx, scope, 'id')} = ${ownId})`]
}

/** `<collection>_via_<relField>`: tries every `_via_` split so names containing `_via_` still resolve. */
function findBackRelation(ctx: Ctx, from: Collection, seg: string): { collection: Collection; field: RelationField } | null {
  for (let at = seg.indexOf('_via_'); at > 0; at = seg.indexOf('_via_', at + 1)) {
    const collection = ctx.opts.schema.find(seg.slice(0, at))
    const field = collection && fieldOf(collection, seg.slice(at + 5))
    if (collection && field?.type === 'relation' && field.collectionId === from.id) return { collection, field }
  }
  return null
}

/** Rows of the back collection whose relation field references the current row. */
function backCondition(ctx: Ctx, back: Scope, field: RelationField, target: Scope): Sql {
  const ref = column(ctx, back, field.name)
  const id = column(ctx, target, 'id')
  if (!isMultiValued(field)) return sql`${ref} = ${id}`
  const je = ctx.nextAlias('j')
  return sql`EXISTS (SELECT 1 FROM ${ctx.opts.dialect.jsonEach(ref, je)} WHERE ${ident(ctx, je)}.${sql.raw('value')} = ${id})`
}
