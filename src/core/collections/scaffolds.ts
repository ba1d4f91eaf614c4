// The default collection models PocketBase's dashboard starts a new collection from (GET /api/collections/meta/scaffolds).
import { authSystemFields, defaultAuthOptions, idField } from './auth-defaults.ts'
import { collectionToJson } from './collection-json.ts'
import type { Collection, CollectionType } from './types.ts'

/** A blank collection of `type`: empty id/name/dates, Basalt's default fields and auth options. */
function scaffold(type: CollectionType): Collection {
  const c: Collection = {
    id: '', name: '', type, system: false, fields: [], indexes: [],
    listRule: null, viewRule: null, createRule: null, updateRule: null, deleteRule: null,
    created: '', updated: '',
  }
  if (type === 'view') { c.viewQuery = ''; return c }
  // As PocketBase: the dashboard adds the created/updated autodate fields itself.
  c.fields = [idField(), ...(type === 'auth' ? authSystemFields() : [])]
  if (type === 'auth') {
    c.auth = defaultAuthOptions()
    c.indexes = [
      'CREATE UNIQUE INDEX `idx_tokenKey__` ON `` (`tokenKey`)',
      "CREATE UNIQUE INDEX `idx_email__` ON `` (`email`) WHERE `email` != ''",
    ]
  }
  return c
}

/** `{base, auth, view}` in PocketBase's collection JSON shape (secrets never included). */
export function collectionScaffolds(): Record<'base' | 'auth' | 'view', Record<string, unknown>> {
  return { base: collectionToJson(scaffold('base')), auth: collectionToJson(scaffold('auth')), view: collectionToJson(scaffold('view')) }
}
