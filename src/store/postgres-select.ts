// A user-written SELECT on a PostgreSQL connection: one statement, wrapped as a subquery (so it can only read); columns with origins.
import type pg from 'pg'
import type { ResultColumn } from './select-query.ts'
import type { SelectSample } from './types.ts'

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
  const origins = new Map<string, { table: string; column: string }>()
  const tables = [...new Set(res.fields.filter((f) => f.tableID).map((f) => f.tableID))]
  if (tables.length) {
    const rows = (await client.query({
      text: `SELECT c.oid AS "t", a.attnum AS "n", c.relname AS "table", a.attname AS "column"
        FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid WHERE c.oid = ANY($1::oid[]) AND a.attnum > 0`,
      values: [tables],
    })).rows as { t: number; n: number; table: string; column: string }[]
    for (const r of rows) origins.set(`${r.t}:${r.n}`, { table: r.table, column: r.column })
  }
  const columns = res.fields.map((f) => {
    const o = origins.get(`${f.tableID}:${f.columnID}`)
    return { name: f.name, table: o?.table ?? null, column: o?.column ?? null, type: typeOf(f.dataTypeID) }
  })
  return { columns, rows: res.rows as unknown[][] }
}
