// @request.* resolution: method, context, query, headers, body (incl. :changed, relation hops) and auth.
import { isMultiValued, type Collection, type Field } from '../core/collections/types.ts'
import { sql, type SqlValue } from '../store/sql.ts'
import { RuleError, quote } from './errors.ts'
import {
  andSql, column, columnValueType, fieldOf, ident, knownOperand, splitModifier, table,
  type Ctx, type Join, type Modifier, type Operand,
} from './resolve-context.ts'
import { finish, resolvePath } from './resolve.ts'
import { comparison } from './compare.ts'

const AUTH_STATIC = ['id', 'collectionId', 'collectionName'] as const

export function resolveRequest(ctx: Ctx, parts: string[]): Operand {
  const { segs, mod } = splitModifier(parts)
  const [kind, ...path] = segs
  const req = ctx.opts.request
  if (mod === 'changed' && kind !== 'body') throw new RuleError('the :changed modifier is only allowed on @request.body.<field>')
  switch (kind) {
    case 'method':
    case 'context':
      if (path.length) throw new RuleError(`@request.${kind} has no sub-keys`)
      return requestValue(ctx, kind === 'method' ? req.method : req.context, true, mod)
    case 'query':
    case 'headers': {
      if (path.length !== 1) throw new RuleError(`@request.${kind} needs exactly one key`)
      const bag = kind === 'query' ? req.query : req.headers
      const has = Object.hasOwn(bag, path[0])
      return requestValue(ctx, has ? bag[path[0]] : null, has, mod)
    }
    case 'body': return resolveBody(ctx, path, mod)
    case 'auth': return resolveAuth(ctx, path, mod)
    default: throw new RuleError(`unknown identifier ${quote(`@request.${kind}`)}`)
  }
}

/** A value known now: scalars bind as one parameter, arrays iterate as a multi-valued operand. */
function requestValue(ctx: Ctx, value: unknown, present: boolean, mod: Modifier | null): Operand {
  if (mod === 'isset') return knownOperand(present ? 1 : 0)
  if (Array.isArray(value)) return arrayOperand(ctx, value, mod)
  if (mod === 'length') return knownOperand(value === null || value === undefined || value === '' ? 0 : 1)
  if (mod === 'each') return arrayOperand(ctx, value === null || value === undefined ? [] : [value], null)
  const op = knownOperand(toSqlValue(value))
  return mod === 'lower' ? { ...op, value: ctx.opts.dialect.lower(op.value), type: 'text' } : op
}

/** Submitted arrays iterate with their JSON element types (numbers stay numbers), as SQLite's json_each. */
function arrayOperand(ctx: Ctx, values: unknown[], mod: Modifier | null): Operand {
  if (mod === 'length') return knownOperand(values.length)
  const je = ctx.nextAlias('j')
  const each = ctx.opts.dialect.jsonEachValue(sql.value(JSON.stringify(values)), je)
  const joins: Join[] = [{ source: each.source, on: sql.raw('1=1') }]
  return finish(ctx, { joins, multi: true, guards: [], value: each.value, type: 'json', blob: true }, mod === 'lower' ? 'lower' : null)
}

/** Submitted ids as text values (to join by id). */
function idsOperand(ctx: Ctx, values: unknown[]): Operand {
  const je = ctx.nextAlias('j')
  const joins: Join[] = [{ source: ctx.opts.dialect.jsonEach(sql.value(JSON.stringify(values)), je), on: sql.raw('1=1') }]
  return { joins, multi: true, guards: [], value: sql`${ident(ctx, je)}.${sql.raw('value')}`, type: 'text' }
}

function toSqlValue(v: unknown): SqlValue {
  if (v === undefined || v === null) return null
  if (typeof v === 'string' || typeof v === 'bigint') return v
  if (typeof v === 'number') return Number.isFinite(v) ? v : null
  if (typeof v === 'boolean') return v ? 1 : 0
  return JSON.stringify(v)
}

/** Body values as the field would store them: numeric strings for numbers, single values for multi fields. */
function normalize(field: Field | undefined, v: unknown): unknown {
  if (!field) return v
  if (field.type === 'number' && typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v)
  if (field.type === 'bool' && (v === 'true' || v === 'false')) return v === 'true'
  if (isMultiValued(field) && !Array.isArray(v)) return v === null || v === undefined || v === '' ? [] : [v]
  return v
}

/** Walks object keys / array indexes of a known value; `present` turns false at the first missing step. */
function navigate(value: unknown, path: string[]): { value: unknown; present: boolean } {
  let cur = value
  for (const seg of path) {
    if (Array.isArray(cur) && /^[0-9]+$/.test(seg) && Number(seg) < cur.length) cur = cur[Number(seg)]
    else if (cur && typeof cur === 'object' && !Array.isArray(cur) && Object.hasOwn(cur, seg)) cur = (cur as Record<string, unknown>)[seg]
    else return { value: null, present: false }
  }
  return { value: cur, present: true }
}

function resolveBody(ctx: Ctx, path: string[], mod: Modifier | null): Operand {
  if (path.length === 0) throw new RuleError('@request.body needs a key')
  const body = ctx.opts.request.body ?? {}
  const [key, ...rest] = path
  const field = fieldOf(ctx.opts.collection, key)
  if (mod === 'changed') {
    if (rest.length || !field) throw new RuleError(':changed needs a field of the collection: @request.body.<field>:changed')
    return changed(ctx, field, body)
  }
  const present = Object.hasOwn(body, key)
  const value = present ? normalize(field, body[key]) : null
  if (field?.type === 'relation' && rest.length && !(rest.length === 1 && rest[0] === 'id')) {
    if (mod === 'isset') return knownOperand(present ? 1 : 0)
    return relatedByIds(ctx, field.collectionId, value, rest, mod)
  }
  const nav = field?.type === 'relation' ? { value, present } : navigate(value, rest)
  return requestValue(ctx, nav.value, present && nav.present, mod)
}

/** `@request.body.rel.x`: joins the related collection by the submitted id(s). */
function relatedByIds(ctx: Ctx, collectionId: string, ids: unknown, rest: string[], mod: Modifier | null): Operand {
  const target = ctx.opts.schema.find(collectionId)
  if (!target) throw new RuleError('relation points to a missing collection')
  const list = Array.isArray(ids) ? ids : ids === null || ids === undefined || ids === '' ? [] : [ids]
  const arr = idsOperand(ctx, list)
  const alias = ctx.nextAlias('t')
  const scope = { alias, collection: target }
  const joins = [...arr.joins, { source: table(ctx, target, alias), on: andSql([sql`${column(ctx, scope, 'id')} = ${arr.value}`, ctx.joinRule(target, alias)]) }]
  return resolvePath(ctx, { scope, joins, multi: Array.isArray(ids), guards: [], hops: 1 }, rest, mod)
}

/** Submitted AND different from the stored column (PocketBase: `:isset = true && body.f != f`). */
function changed(ctx: Ctx, field: Field, body: Record<string, unknown>): Operand {
  if (!Object.hasOwn(body, field.name)) return knownOperand(0, { noCoalesce: true })
  const v = normalize(field, body[field.name])
  const col = column(ctx, { alias: ctx.opts.alias, collection: ctx.opts.collection }, field.name)
  const d = ctx.opts.dialect
  // Arrays/JSON compare as normalized JSON text so formatting differences don't count as a change.
  const differs = isMultiValued(field) || field.type === 'json'
    ? d.isNot(d.jsonValue(sql.value(JSON.stringify(v ?? null)), []), d.jsonValue(col, []))
    : d.strictTypes
      // NULL and '' count as the same value, as in the COALESCE form below.
      ? comparison(ctx, '!=', knownOperand(toSqlValue(v)), { value: col, joins: [], multi: false, guards: [], type: columnValueType(field), affinity: true })
      : d.isNot(sql`COALESCE(${sql.value(toSqlValue(v))}, '')`, sql`COALESCE(${col}, '')`)
  return { value: sql`(CASE WHEN ${differs} THEN 1 ELSE 0 END)`, joins: [], multi: false, guards: [], noCoalesce: true, type: 'number' }
}

function resolveAuth(ctx: Ctx, path: string[], mod: Modifier | null): Operand {
  if (path.length === 0) throw new RuleError('@request.auth needs a field')
  const auth = ctx.opts.request.auth
  // Guests: every @request.auth.* is NULL (so `@request.auth.id != ""` is the logged-in test).
  if (!auth) return knownOperand(mod === 'isset' || mod === 'length' ? 0 : null)
  const [key, ...rest] = path
  const record = auth.record ?? {}
  if ((AUTH_STATIC as readonly string[]).includes(key) && rest.length === 0) {
    const v = key === 'id' ? record.id : key === 'collectionId' ? auth.collection.id : auth.collection.name
    return requestValue(ctx, v, true, mod)
  }
  const field = fieldOf(auth.collection, key)
  const stored = field && (!Object.hasOwn(record, key) || (field.type === 'relation' && rest.length && !(rest.length === 1 && rest[0] === 'id')))
  if (stored && mod !== 'isset') return fromAuthRow(ctx, auth.collection, String(record.id ?? ''), path, mod)
  const present = Object.hasOwn(record, key)
  const value = normalize(field, record[key])
  const nav = field?.type === 'relation' ? { value, present } : navigate(value, rest)
  return requestValue(ctx, nav.value, present && nav.present, mod)
}

/** Deeper auth paths (`@request.auth.team.owner`) start from the auth row looked up by the bound id. */
function fromAuthRow(ctx: Ctx, collection: Collection, id: string, path: string[], mod: Modifier | null): Operand {
  const alias = ctx.nextAlias('a')
  const scope = { alias, collection }
  const joins = [{ source: table(ctx, collection, alias), on: sql`${column(ctx, scope, 'id')} = ${id}` }]
  return resolvePath(ctx, { scope, joins, multi: false, guards: [], hops: 0 }, path, mod)
}
