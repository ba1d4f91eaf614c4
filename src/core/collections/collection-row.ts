// The `_collections` row shape and its decoding into a Collection (shared by the registry and transfers).
import type { Collection } from './types.ts'
import { normalizeAuthOptions, normalizeFields, parseStoredJson, storedIndexes } from './stored-shape.ts'

export const COLLECTION_COLUMNS = ['id', 'system', 'type', 'name', 'fields', 'indexes', 'listRule', 'viewRule',
  'createRule', 'updateRule', 'deleteRule', 'options', 'created', 'updated'] as const
export type CollectionRow = Record<(typeof COLLECTION_COLUMNS)[number], string | number | null>

export function parseCollectionRow(row: CollectionRow): Collection {
  const c: Collection = {
    // `system` is 0/1 on both engines (PostgreSQL may hand it back as a string).
    id: String(row.id), name: String(row.name), type: row.type as Collection['type'], system: !!Number(row.system),
    fields: normalizeFields(parseStoredJson(row.fields)), indexes: storedIndexes(parseStoredJson(row.indexes)),
    listRule: row.listRule as string | null, viewRule: row.viewRule as string | null, createRule: row.createRule as string | null,
    updateRule: row.updateRule as string | null, deleteRule: row.deleteRule as string | null,
    created: String(row.created), updated: String(row.updated),
  }
  const stored = parseStoredJson(row.options, {})
  const { fileAccess, viewQuery, ...options } = (stored && typeof stored === 'object' && !Array.isArray(stored) ? stored : {}) as Record<string, unknown>
  if (c.type === 'auth') c.auth = normalizeAuthOptions(options)
  if (fileAccess === 'viewRule') c.fileAccess = fileAccess
  if (c.type === 'view') c.viewQuery = typeof viewQuery === 'string' ? viewQuery : ''
  return c
}

/** The `options` column: auth options (normalised on write: never a `null` list), a view's query, and collection-level extensions (`fileAccess`). */
export function collectionOptionsJson(c: Collection): string {
  return JSON.stringify({
    ...(c.auth ? normalizeAuthOptions(c.auth) : {}),
    ...(c.type === 'view' ? { viewQuery: c.viewQuery ?? '' } : {}),
    ...(c.fileAccess === 'viewRule' ? { fileAccess: c.fileAccess } : {}),
  })
}
