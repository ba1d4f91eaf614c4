// Listing collections: PocketBase's filter/sort syntax over the `_collections` table, through the rule compiler.
import type { Store } from '../../store/types.ts'
import { sql } from '../../store/sql.ts'
import { compileFilter, compileSort, RuleError } from '../../rules/index.ts'
import { guestRequest } from '../../rules/request-info.ts'
import { badRequest } from '../errors.ts'
import type { ListQuery } from '../records/list-query.ts'
import { makeField } from './auth-defaults.ts'
import type { Collection, SchemaLookup } from './types.ts'

/** `_collections` described as a collection, so filters can only name its filterable columns. */
const COLLECTIONS_TABLE: Collection = {
  id: '_collections', name: '_collections', type: 'base', system: true, indexes: [],
  fields: [
    makeField('text', 'id'), makeField('text', 'name'), makeField('text', 'type'),
    makeField('bool', 'system'), makeField('text', 'created'), makeField('text', 'updated'),
  ],
  listRule: null, viewRule: null, createRule: null, updateRule: null, deleteRule: null, created: '', updated: '',
}

const ONLY_ITSELF: SchemaLookup = {
  find: (idOrName) => (idOrName === '_collections' ? COLLECTIONS_TABLE : undefined),
  all: () => [COLLECTIONS_TABLE],
}

export async function listCollectionIds(store: Store, q: ListQuery): Promise<{ ids: string[]; total: number }> {
  const opts = { schema: ONLY_ITSELF, collection: COLLECTIONS_TABLE, alias: 'r', request: guestRequest(), restricted: false, dialect: store.dialect }
  let where, order
  try {
    where = q.filter.trim() ? compileFilter(q.filter, opts) : sql`1=1`
    order = compileSort(q.sort || 'created,id', opts)
  } catch (err) {
    if (err instanceof RuleError) throw badRequest(`Invalid collections filter or sort: ${err.message}`, {}, err)
    throw err
  }
  const from = sql`"_collections" AS "r"`
  const rows = await store.all<{ id: string }>(sql`SELECT "r"."id" FROM ${from} WHERE ${where} ORDER BY ${order} LIMIT ${q.perPage} OFFSET ${(q.page - 1) * q.perPage}`)
  const total = q.skipTotal ? -1 : Number((await store.get<{ n: number }>(sql`SELECT COUNT(*) AS "n" FROM ${from} WHERE ${where}`))?.n ?? 0)
  return { ids: rows.map((r) => r.id), total }
}
