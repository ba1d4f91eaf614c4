// A user-written SELECT on a SQLite connection: refused unless it is one read-only statement; columns with their origins.
import type { Database as Db } from 'better-sqlite3'
import { QueryRefusedError, type ResultColumn } from './select-query.ts'
import type { SelectSample } from './types.ts'

/** Type of a column from its declared SQLite type (null for expressions, which have none). */
function declaredType(decl: string | null): ResultColumn['type'] {
  if (!decl) return null
  const t = decl.toUpperCase()
  if (t.includes('BOOL')) return 'bool'
  if (t.includes('JSON')) return 'json'
  if (/INT|REAL|NUM|FLOA|DOUB|DEC/.test(t)) return 'number'
  if (/TEXT|CHAR|CLOB/.test(t)) return 'text'
  return null
}

export function sqliteSelect(db: Db, query: string, limit: number): SelectSample {
  const st = db.prepare(query) // throws for more than one statement
  // `reader` alone would accept INSERT … RETURNING; `readonly` is SQLite's own "this writes nothing".
  if (!st.reader || !st.readonly) throw new QueryRefusedError('Only read-only SELECT statements are allowed.')
  const columns = st.columns().map((c) => ({ name: c.name, table: c.table, column: c.column, type: declaredType(c.type) }))
  const rows: unknown[][] = []
  if (limit > 0) {
    for (const row of st.raw(true).iterate() as IterableIterator<unknown[]>) {
      rows.push(row)
      if (rows.length >= limit) break
    }
  }
  return { columns, rows }
}
