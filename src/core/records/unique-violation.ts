// Maps a driver's unique-constraint error to the collection fields it concerns (for validation_not_unique).
import type { Collection } from '../collections/types.ts'
import { parseIndex } from '../collections/indexes.ts'

/**
 * PostgreSQL names the violated constraint (an index name or `<table>_pkey`); SQLite names either the
 * columns (`UNIQUE constraint failed: users.email`) or, for expression indexes, the index. Both are
 * resolved through the collection's own index definitions, never by loose substring matching.
 */
export function uniqueViolationFields(err: unknown, c: Collection): string[] {
  const e = err as { constraint?: string; message?: string }
  const message = String(e?.message ?? '')
  const indexName = e?.constraint ?? /index '([^']+)'/.exec(message)?.[1]
  if (indexName) {
    if (indexName === `${c.name}_pkey`) return ['id']
    for (const text of c.indexes) {
      const def = parseIndex(text)
      if (typeof def !== 'string' && def.name === indexName) return def.columns.map((col) => col.name)
    }
  }
  const columns = /UNIQUE constraint failed: (.+)$/.exec(message)?.[1]
  if (columns) {
    const names = columns.split(',').map((part) => part.trim().split('.').pop()!)
    const known = names.filter((n) => c.fields.some((f) => f.name === n))
    if (known.length) return known
  }
  return ['id']
}
