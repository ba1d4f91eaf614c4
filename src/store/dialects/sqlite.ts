// SQLite spelling of the SqlDialect contract.
import { sql, type Sql } from '../sql.ts'
import type { ColumnKind, SqlDialect } from './types.ts'

const jsonExtract = (expr: Sql, path: readonly (string | number)[]): Sql => {
  const p = '$' + path.map((seg) => (typeof seg === 'number' ? `[${seg}]` : `."${seg.replace(/["\\]/g, '')}"`)).join('')
  return sql`(CASE WHEN json_valid(${expr}) THEN json_extract(${expr}, ${p}) ELSE NULL END)`
}

const jsonEach = (arrayExpr: Sql, alias: string): Sql =>
  sql`json_each(CASE WHEN json_valid(${arrayExpr}) AND json_type(${arrayExpr}) = 'array' THEN ${arrayExpr} ELSE '[]' END) AS ${sql.raw(quoteIdentText(alias))}`

const SAFE_IDENT = /^[A-Za-z_@][A-Za-z0-9_]*$/

export function quoteIdentText(name: string): string {
  if (!SAFE_IDENT.test(name)) throw new Error(`unsafe SQL identifier: ${JSON.stringify(name)}`)
  return `"${name}"`
}

export const sqliteDialect: SqlDialect = {
  name: 'sqlite',
  ident: (name) => sql.raw(quoteIdentText(name)),
  placeholder: () => '?',
  like: (left, pattern, negate) =>
    negate ? sql`${left} NOT LIKE ${pattern} ESCAPE '\\'` : sql`${left} LIKE ${pattern} ESCAPE '\\'`,
  jsonEach,
  jsonArrayLength: (arrayExpr) =>
    sql`(CASE WHEN json_valid(${arrayExpr}) AND json_type(${arrayExpr}) = 'array' THEN json_array_length(${arrayExpr}) ELSE 0 END)`,
  jsonExtract,
  random: () => sql`RANDOM()`,
  lower: (expr) => sql`LOWER(${expr})`,
  isNot: (l, r) => sql`${l} IS NOT ${r}`,
  is: (l, r) => sql`${l} IS ${r}`,
  columnType: (kind: ColumnKind) =>
    ({
      text: "TEXT DEFAULT '' NOT NULL",
      number: 'NUMERIC DEFAULT 0 NOT NULL',
      bool: 'BOOLEAN DEFAULT FALSE NOT NULL',
      json: 'JSON DEFAULT NULL',
      jsonArray: "JSON DEFAULT '[]' NOT NULL",
    })[kind],
  bool: (v) => sql.raw(v ? '1' : '0'),
  equalsIgnoreCase: (l, r) => sql`${l} = ${r} COLLATE NOCASE`,
  nocaseIndexColumn: (col) => `${col} COLLATE NOCASE`,
  singleToMulti: (col) => `CASE WHEN ${col} IS NULL OR ${col} = '' THEN '[]' ELSE json_array(${col}) END`,
  // One writer at a time: a row read inside a write transaction cannot change before commit.
  forUpdate: () => sql.empty,
  // SQLite tables have an implicit `_rowid_`.
  systemColumns: [],
  multiToSingle: (col) =>
    `CASE WHEN json_valid(${col}) AND json_type(${col}) = 'array' THEN coalesce(json_extract(${col}, '$[#-1]'), '') ELSE coalesce(${col}, '') END`,

  // Values compare by affinity and json_extract / json_each already yield typed SQL values, so the
  // typed-comparison helpers are identities here.
  strictTypes: false,
  cast: (expr, type) => (type === 'text' ? sql`CAST(${expr} AS TEXT)` : sql`CAST(${expr} AS REAL)`),
  jsonValue: jsonExtract,
  jsonAs: (expr) => expr,
  textToJson: (expr) => expr,
  jsonClass: (expr) => sql`(CASE typeof(${expr}) WHEN 'integer' THEN 'n' WHEN 'real' THEN 'n' WHEN 'text' THEN 't' END)`,
  textToNumber: (expr) => sql`(CASE WHEN CAST(${expr} AS NUMERIC) = ${expr} THEN CAST(${expr} AS NUMERIC) END)`,
  jsonEachValue: (arrayExpr, alias) => ({ source: jsonEach(arrayExpr, alias), value: sql`${sql.raw(quoteIdentText(alias))}.${sql.raw('value')}` }),
  binaryOrder: (expr) => expr,
  orderTerm: (expr, desc) => sql`${expr}${sql.raw(desc ? ' DESC' : ' ASC')}`,
  strftime: (format, value, modifiers) => {
    const args = [sql.value(format), ...(value ? [value] : []), ...modifiers.map((m) => sql.value(m))]
    return sql`COALESCE(strftime(${sql.join(args)}), '')`
  },
}
