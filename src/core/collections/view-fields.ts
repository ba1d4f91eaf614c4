// The fields of a view collection, inferred from its query's result columns (docs/views.md).
import { fieldError, type ErrorData } from '../errors.ts'
import type { ResultColumn } from '../../store/select-query.ts'
import { idField, makeField } from './auth-defaults.ts'
import { defaultFieldId } from './fields/index.ts'
import type { Collection, Field, SchemaLookup } from './types.ts'
import { ErrorCode } from '../error-codes.ts'

/** Auth-collection columns a view never shows to non-superusers (and never lets them filter on). */
const ALWAYS_HIDDEN = new Set(['password', 'tokenKey'])
const SECRET_WORD = /\b(password|tokenKey)\b/i

/**
 * One field per result column:
 * - `id` → the view's text primary key;
 * - a plain column of a collection → a copy of that field (options, relation target), renamed to the
 *   column's alias; another collection's `id` → a single relation to that collection;
 * - an expression → by the engine's type, else by the first row's value (number, bool, text), else json.
 * A column from an auth collection's password/tokenKey is always hidden; its email is hidden unless the
 * superuser un-hides it (`hidden: false` in the submitted fields), and so is every expression column of
 * a query that names a password or tokenKey column. Submitted `hidden`/`presentable`
 * flags are kept per field name, and so are the ids of fields the view had before (same name and type).
 */
export function inferViewFields(columns: ResultColumn[], sample: unknown[] | undefined, schema: SchemaLookup,
  submitted: Record<string, unknown>[], before?: Collection, query = ''): { fields: Field[] } | { errors: ErrorData } {
  // An expression over a secret column (e.g. lower(password)) has no source field to inherit `hidden`
  // from: when the query names one, expression columns start hidden too (the superuser may un-hide them).
  const secretsNamed = SECRET_WORD.test(query)
  const names = columns.map((c) => c.name)
  if (!names.includes('id')) return { errors: { viewQuery: fieldError(ErrorCode.missingViewId, 'The view query must return an "id" column.') } }
  const dup = names.find((n, i) => names.indexOf(n) !== i)
  if (dup) return { errors: { viewQuery: fieldError(ErrorCode.duplicatedViewColumn, `The view query returns the column "${dup}" more than once; give it an alias.`) } }
  const fields = columns.map((col, i) => {
    const f = col.name === 'id' ? idField() : fieldOf(col, sample?.[i], schema)
    if (secretsNamed && f.name !== 'id' && !(col.table && col.column)) f.hidden = true
    const flags = submitted.find((s) => s.name === f.name)
    if (flags && f.name !== 'id') {
      if (typeof flags.presentable === 'boolean') f.presentable = flags.presentable
      if (typeof flags.hidden === 'boolean' && !ALWAYS_HIDDEN.has(String(col.column))) f.hidden = flags.hidden
    }
    const prev = before?.fields.find((p) => p.name === f.name && p.type === f.type)
    if (prev) f.id = prev.id
    return f
  })
  return { fields }
}

function fieldOf(col: ResultColumn, value: unknown, schema: SchemaLookup): Field {
  const source = col.table ? schema.find(col.table) : undefined
  const original = source?.fields.find((f) => f.name === col.column)
  if (source && original?.name === 'id') {
    return makeField('relation', col.name, { collectionId: source.id, maxSelect: 1 })
  }
  if (source && original) {
    const f = { ...structuredClone(original), name: col.name, id: defaultFieldId(original.type, col.name), system: false } as Field
    if (source.type === 'auth' && (ALWAYS_HIDDEN.has(original.name) || original.name === 'email')) f.hidden = true
    return f
  }
  return makeField(typeOfValue(col.type, value), col.name)
}

function typeOfValue(engineType: ResultColumn['type'], value: unknown): Field['type'] {
  if (engineType) return engineType
  if (typeof value === 'number' || typeof value === 'bigint') return 'number'
  if (typeof value === 'boolean') return 'bool'
  if (typeof value === 'string' && !/^\s*[[{]/.test(value)) return 'text'
  return 'json'
}
