// Collection index definitions: parsed from PocketBase-style CREATE INDEX text, re-emitted safely.
import { quoteIdentText } from '../../store/dialects/sqlite.ts'
import type { SqlDialect } from '../../store/dialects/types.ts'

export interface IndexColumn { name: string; collate: 'NOCASE' | null; order: 'ASC' | 'DESC' | null }
export interface IndexDef { unique: boolean; name: string; table: string; columns: IndexColumn[]; where: string | null }

const IDENT = '`?"?\\[?([A-Za-z_][A-Za-z0-9_]*)\\]?"?`?'
const HEAD = new RegExp(`^\\s*CREATE\\s+(UNIQUE\\s+)?INDEX\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?${IDENT}\\s+ON\\s+${IDENT}\\s*\\(([^()]*)\\)\\s*(?:WHERE\\s+(.+?))?\\s*;?\\s*$`, 'is')
const COLUMN = /^\s*`?"?\[?([A-Za-z_][A-Za-z0-9_]*)\]?"?`?(?:\s+COLLATE\s+(NOCASE))?(?:\s+(ASC|DESC))?\s*$/i
// A WHERE clause is kept as SQL text, so only a conservative token set is allowed in it.
const SAFE_WHERE = /^[A-Za-z0-9_\s'"`=!<>().,-]*$/
const FORBIDDEN_WHERE = /;|--|\/\*|\b(select|attach|pragma|drop|insert|update|delete|load_extension)\b/i

export function parseIndex(text: string): IndexDef | string {
  if (typeof text !== 'string' || text.length > 2000) return 'Invalid index definition.'
  const m = HEAD.exec(text)
  if (!m) return 'Invalid CREATE INDEX statement.'
  const [, unique, name, table, cols, where] = m
  const columns: IndexColumn[] = []
  for (const part of cols.split(',')) {
    const c = COLUMN.exec(part)
    if (!c) return `Invalid index column ${JSON.stringify(part.trim())}.`
    columns.push({
      name: c[1], collate: c[2] ? 'NOCASE' : null,
      order: c[3] ? (c[3].toUpperCase() as 'ASC' | 'DESC') : null,
    })
  }
  if (!columns.length) return 'An index needs at least one column.'
  if (where && (!SAFE_WHERE.test(where) || FORBIDDEN_WHERE.test(where))) return 'Unsupported index WHERE clause.'
  return { unique: !!unique, name, table, columns, where: where ? where.replace(/`/g, '"') : null }
}

export function indexSql(def: IndexDef, table: string, dialect: SqlDialect): string {
  const cols = def.columns
    .map((c) => [c.collate ? dialect.nocaseIndexColumn(quoteIdentText(c.name)) : quoteIdentText(c.name), c.order].filter(Boolean).join(' '))
    .join(', ')
  return `CREATE ${def.unique ? 'UNIQUE ' : ''}INDEX ${quoteIdentText(def.name)} ON ${quoteIdentText(table)} (${cols})` +
    (def.where ? ` WHERE ${def.where}` : '')
}

/** Canonical text stored in the collection (table name follows renames). */
export function formatIndex(def: IndexDef, table = def.table): string {
  const cols = def.columns.map((c) => [`\`${c.name}\``, c.collate && `COLLATE ${c.collate}`, c.order].filter(Boolean).join(' ')).join(', ')
  return `CREATE ${def.unique ? 'UNIQUE ' : ''}INDEX \`${def.name}\` ON \`${table}\` (${cols})` + (def.where ? ` WHERE ${def.where}` : '')
}

/** Single-column unique index on `column` (identity fields and back-relation cardinality need this). */
export function hasUniqueIndexOn(indexes: string[], column: string): boolean {
  return indexes.some((t) => {
    const d = parseIndex(t)
    return typeof d !== 'string' && d.unique && d.columns.length === 1 && d.columns[0].name === column
  })
}
