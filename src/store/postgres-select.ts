// A user-written SELECT on a PostgreSQL connection: one statement, wrapped as a subquery (so it can only read); columns with origins.
import pg from 'pg'
import type { ResultColumn } from './select-query.ts'
import type { SelectSample } from './types.ts'
import { QueryTimeoutError, type ConsoleColumn, type ConsoleOptions, type ConsoleResult } from './sql-console.ts'

const NUMBER_TYPES = new Set([20, 21, 23, 700, 701, 1700])
const TEXT_TYPES = new Set([19, 25, 1042, 1043])
const JSON_TYPES = new Set([114, 3802])

function typeOf(oid: number): ResultColumn['type'] {
  if (oid === 16) return 'bool'
  if (NUMBER_TYPES.has(oid)) return 'number'
  if (JSON_TYPES.has(oid)) return 'json'
  if (TEXT_TYPES.has(oid)) return 'text'
  return null
}

/**
 * Runs `query` as `SELECT * FROM (query) LIMIT n` through the extended protocol: exactly one statement,
 * and a data-modifying statement is a syntax error inside a subquery. The caller runs it in a
 * read-only transaction or a savepoint it rolls back.
 */
export async function pgSelect(client: pg.PoolClient, query: string, limit: number): Promise<SelectSample> {
  const n = Math.max(0, Math.floor(limit))
  const res = await client.query({ text: `SELECT * FROM (${query}\n) AS "_basalt_q" LIMIT ${n}`, rowMode: 'array', queryMode: 'extended' } as pg.QueryConfig)
  const columns = await describeFields(client, res.fields)
  return { columns, rows: res.rows as unknown[][] }
}

const TYPE_NAMES = new Map(Object.entries(pg.types.builtins).map(([name, oid]) => [oid as number, name.toLowerCase()]))

/** Result columns with their source table/column (when plain column references), type and nullability. */
export async function describeFields(client: pg.PoolClient, fields: pg.FieldDef[]): Promise<ResultColumn[]> {
  const origins = new Map<string, { table: string; column: string; notNull: boolean }>()
  const tables = [...new Set(fields.filter((f) => f.tableID).map((f) => f.tableID))]
  if (tables.length) {
    const rows = (await client.query({
      text: `SELECT c.oid AS "t", a.attnum AS "n", c.relname AS "table", a.attname AS "column", a.attnotnull AS "notNull"
        FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid WHERE c.oid = ANY($1::oid[]) AND a.attnum > 0`,
      values: [tables],
    })).rows as { t: number; n: number; table: string; column: string; notNull: boolean }[]
    for (const r of rows) origins.set(`${r.t}:${r.n}`, r)
  }
  return fields.map((f) => {
    const o = origins.get(`${f.tableID}:${f.columnID}`)
    return {
      name: f.name, table: o?.table ?? null, column: o?.column ?? null, type: typeOf(f.dataTypeID),
      dbType: TYPE_NAMES.get(f.dataTypeID) ?? String(f.dataTypeID), nullable: !o?.notNull,
    }
  })
}

/**
 * The SQL console on PostgreSQL: its own connection and transaction with `SET LOCAL statement_timeout`;
 * read-only mode is a READ ONLY transaction running the query as a subquery (so only a SELECT), rolled back.
 */
export async function pgConsole(pool: pg.Pool, query: string, opts: ConsoleOptions): Promise<ConsoleResult> {
  const client = await pool.connect()
  try {
    await client.query(opts.write ? 'BEGIN' : 'BEGIN READ ONLY')
    await client.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.floor(opts.timeoutMs))}`)
    let out: ConsoleResult
    if (!opts.write) {
      const s = await pgSelect(client, query, opts.maxRows)
      out = { columns: s.columns.map(consoleColumn), rows: s.rows, affectedRows: 0 }
    } else {
      const res = await client.query({ text: query, rowMode: 'array', queryMode: 'extended' } as pg.QueryConfig)
      const columns = res.fields?.length ? (await describeFields(client, res.fields)).map(consoleColumn) : []
      out = { columns, rows: (res.rows as unknown[][]).slice(0, opts.maxRows), affectedRows: res.command === 'SELECT' ? 0 : res.rowCount ?? 0 }
    }
    await client.query(opts.write ? 'COMMIT' : 'ROLLBACK')
    return out
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {})
    if ((err as { code?: string }).code === '57014') throw new QueryTimeoutError(opts.timeoutMs)
    throw err
  } finally {
    client.release()
  }
}

function consoleColumn(c: ResultColumn): ConsoleColumn {
  return { name: c.name, type: c.dbType ?? '', nullable: c.nullable ?? true }
}
