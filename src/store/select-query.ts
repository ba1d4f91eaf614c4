// Checks for user-written SELECT queries (view collections, the SQL console): one statement, read-only.

/** One result column of a query, with where it comes from when the engine can tell. */
export interface ResultColumn {
  name: string
  /** Source table and column when the column is a plain column reference (through views too); null for expressions. */
  table: string | null
  column: string | null
  /** The engine's type for the column when it knows one (PostgreSQL always; SQLite only for declared columns). */
  type: 'number' | 'bool' | 'json' | 'text' | null
  /** The engine's own type name and nullability, where known (PostgreSQL). */
  dbType?: string
  nullable?: boolean
}

export const MAX_QUERY_LENGTH = 5000

/**
 * The query without trailing `;`/whitespace, or the reason it is refused: empty, too long, not starting
 * with SELECT/WITH, or containing a `;` outside quotes and comments (chained statements). The engine
 * checks again when it prepares the query (one statement, read-only); this is the first, cheap line.
 */
export function checkSelect(query: unknown): { query: string } | { problem: string } {
  if (typeof query !== 'string' || !query.trim()) return { problem: 'The query must be a non-empty SELECT statement.' }
  if (query.length > MAX_QUERY_LENGTH) return { problem: `The query must be at most ${MAX_QUERY_LENGTH} characters.` }
  const text = query.trim().replace(/[;\s]+$/, '')
  const code = withoutLiterals(text)
  if (code === null) return { problem: 'The query has an unterminated quote or comment.' }
  if (code.includes(';')) return { problem: 'Only a single SELECT statement is allowed.' }
  if (!/^\s*(select|with)\b/i.test(code)) return { problem: 'Only SELECT statements are allowed.' }
  return { query: text }
}

/** The query text with string literals, quoted identifiers and comments blanked out; null if one is left open. */
function withoutLiterals(text: string): string | null {
  let out = ''
  let i = 0
  while (i < text.length) {
    const ch = text[i]
    const two = text.slice(i, i + 2)
    let end = -1
    if (ch === "'" || ch === '"' || ch === '`') {
      // PostgreSQL E'…' strings take backslash escapes (E'\'' is one quote character).
      const escapes = ch === "'" && /(^|[^\w])[eE]$/.test(text.slice(0, i))
      end = i + 1
      for (;;) {
        if (end >= text.length) return null
        if (escapes && text[end] === '\\') { end += 2; continue }
        if (text[end] !== ch) { end++; continue }
        if (text[end + 1] === ch) { end += 2; continue } // doubled quote
        break
      }
      end += 1
    } else if (ch === '[') {
      end = text.indexOf(']', i)
      if (end < 0) return null
      end += 1
    } else if (two === '--') {
      end = text.indexOf('\n', i)
      if (end < 0) end = text.length
    } else if (two === '/*') {
      end = text.indexOf('*/', i + 2)
      if (end < 0) return null
      end += 2
    } else if (ch === '$' && /^\$\w*\$/.test(text.slice(i))) {
      const tag = /^\$\w*\$/.exec(text.slice(i))![0] // PostgreSQL dollar quoting
      end = text.indexOf(tag, i + tag.length)
      if (end < 0) return null
      end += tag.length
    }
    if (end < 0) { out += ch; i++; continue }
    out += ' '
    i = end
  }
  return out
}

/** A user query the store refuses to run (not one read-only SELECT); the message is safe to show. */
export class QueryRefusedError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'QueryRefusedError'
  }
}
