// Record rows <-> RecordData (API-form values), and the SQL that loads and writes one record.
import type { Collection } from '../collections/types.ts'
import { fieldKind } from '../collections/fields/index.ts'
import { sql, type Sql, type SqlValue } from '../../store/sql.ts'
import type { ColumnKind, SqlDialect } from '../../store/dialects/types.ts'
import type { Executor, Row } from '../../store/types.ts'
import type { RecordData } from '../../rules/request-info.ts'

export const MAIN_ALIAS = 'r'

export function rowToRecord(c: Collection, row: Row): RecordData {
  const out: RecordData = {}
  for (const f of c.fields) out[f.name] = fieldKind(f.type)!.fromDb(f as never, row[f.name])
  return out
}

export function recordToDbValues(c: Collection, rec: RecordData): Map<string, SqlValue> {
  const values = new Map<string, SqlValue>()
  for (const f of c.fields) values.set(f.name, fieldKind(f.type)!.toDb(f as never, rec[f.name]) as SqlValue)
  return values
}

export function table(c: Collection, dialect: SqlDialect): Sql {
  return dialect.ident(c.name)
}

/** `FROM "posts" AS "r"` — the main row alias that compiled rules refer to. */
export function fromMain(c: Collection, dialect: SqlDialect): Sql {
  return sql`${dialect.ident(c.name)} AS ${dialect.ident(MAIN_ALIAS)}`
}

/**
 * A one-row derived table holding a record that is not (or no longer) stored, so rules can be
 * evaluated against would-be values (create) or a deleted record (realtime), exactly as SQL.
 */
export function fromValues(c: Collection, rec: RecordData, dialect: SqlDialect): Sql {
  const values = recordToDbValues(c, rec)
  const cols = c.fields.map((f) => sql`${typedValue(dialect, fieldKind(f.type)!.columnKind(f as never), values.get(f.name) ?? null)} AS ${dialect.ident(f.name)}`)
  return sql`(SELECT ${sql.join(cols)}) AS ${dialect.ident(MAIN_ALIAS)}`
}

/**
 * PostgreSQL types a bare parameter in a derived table as text, so it is cast to the column's type;
 * SQLite compares by value affinity and its CAST would turn JSON text into a number, so it stays bare.
 */
function typedValue(dialect: SqlDialect, kind: ColumnKind, value: SqlValue): Sql {
  if (dialect.name !== 'postgres') return sql`${value}`
  const type = dialect.columnType(kind).split(' DEFAULT')[0].split(' COLLATE')[0]
  return sql`CAST(${value} AS ${sql.raw(type)})`
}

export async function loadRecord(db: Executor, c: Collection, id: string, dialect: SqlDialect, where?: Sql, opts: { forUpdate?: boolean } = {}): Promise<RecordData | undefined> {
  const alias = dialect.ident(MAIN_ALIAS)
  const cond = where ? sql` AND (${where})` : sql.empty
  const lock = opts.forUpdate ? dialect.forUpdate(MAIN_ALIAS) : sql.empty
  const row = await db.get(sql`SELECT ${alias}.* FROM ${fromMain(c, dialect)} WHERE ${alias}."id" = ${id}${cond} LIMIT 1${lock}`)
  return row ? rowToRecord(c, row) : undefined
}

export async function insertRecord(db: Executor, c: Collection, rec: RecordData, dialect: SqlDialect): Promise<void> {
  const values = recordToDbValues(c, rec)
  const cols = [...values.keys()].map((n) => dialect.ident(n))
  const params = [...values.values()].map((v) => sql`${v}`)
  await db.run(sql`INSERT INTO ${table(c, dialect)} (${sql.join(cols)}) VALUES (${sql.join(params)})`)
}

export async function updateRecord(db: Executor, c: Collection, id: string, rec: RecordData, dialect: SqlDialect): Promise<void> {
  const values = recordToDbValues(c, rec)
  const sets = [...values].map(([n, v]) => sql`${dialect.ident(n)} = ${v}`)
  await db.run(sql`UPDATE ${table(c, dialect)} SET ${sql.join(sets)} WHERE "id" = ${id}`)
}

export async function deleteRecordRow(db: Executor, c: Collection, id: string, dialect: SqlDialect): Promise<void> {
  await db.run(sql`DELETE FROM ${table(c, dialect)} WHERE "id" = ${id}`)
}
