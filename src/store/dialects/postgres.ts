// PostgreSQL spelling of the SqlDialect contract.
import { sql } from '../sql.ts'
import type { ColumnKind, SqlDialect } from './types.ts'
import { quoteIdentText } from './sqlite.ts'

/** jsonb of a column that may hold JSON text, a jsonb value or '' (empty) — never raises on bad input. */
const asArray = (expr: ReturnType<typeof sql>) =>
  sql`(CASE WHEN jsonb_typeof(basalt_try_jsonb(${expr}::text)) = 'array' THEN basalt_try_jsonb(${expr}::text) ELSE '[]'::jsonb END)`

export const postgresDialect: SqlDialect = {
  name: 'postgres',
  ident: (name) => sql.raw(quoteIdentText(name)),
  placeholder: (i) => `$${i + 1}`,
  like: (left, pattern, negate) =>
    negate ? sql`${left}::text NOT ILIKE ${pattern} ESCAPE '\\'` : sql`${left}::text ILIKE ${pattern} ESCAPE '\\'`,
  jsonEach: (arrayExpr, alias) =>
    sql`jsonb_array_elements_text(${asArray(arrayExpr)}) AS ${sql.raw(quoteIdentText(alias))}("value")`,
  jsonArrayLength: (arrayExpr) => sql`jsonb_array_length(${asArray(arrayExpr)})`,
  jsonExtract: (expr, path) => {
    const segments = `{${path.map((s) => String(s).replace(/[{}",\\]/g, '')).join(',')}}`
    return sql`(basalt_try_jsonb(${expr}::text) #>> ${segments}::text[])`
  },
  random: () => sql`RANDOM()`,
  lower: (expr) => sql`LOWER(${expr}::text)`,
  isNot: (l, r) => sql`${l} IS DISTINCT FROM ${r}`,
  is: (l, r) => sql`${l} IS NOT DISTINCT FROM ${r}`,
  // Booleans are 0/1 SMALLINTs, as on SQLite, so rules compare them identically on both engines.
  columnType: (kind: ColumnKind) =>
    ({
      text: "TEXT DEFAULT '' NOT NULL",
      number: 'DOUBLE PRECISION DEFAULT 0 NOT NULL',
      bool: 'SMALLINT DEFAULT 0 NOT NULL',
      json: 'JSONB DEFAULT NULL',
      jsonArray: "JSONB DEFAULT '[]' NOT NULL",
    })[kind],
  bool: (v) => sql.raw(v ? '1' : '0'),
  equalsIgnoreCase: (l, r) => sql`LOWER(${l}) = LOWER(${r})`,
  nocaseIndexColumn: (col) => `LOWER(${col})`,
  singleToMulti: (col) => `CASE WHEN ${col} IS NULL OR ${col}::text = '' THEN '[]'::jsonb ELSE jsonb_build_array(${col}) END`,
  multiToSingle: (col) => `COALESCE(${col}->>-1, '')`,
  // READ COMMITTED + a row lock: concurrent updates of one record queue up and each re-checks its
  // WHERE (rule) against the row as the previous one committed it.
  forUpdate: (alias) => sql.raw(` FOR UPDATE OF ${quoteIdentText(alias)}`),
  // Insertion order, like SQLite's implicit rowid, so `@rowid` sorts mean the same on both engines.
  systemColumns: ['"_rowid_" BIGSERIAL NOT NULL'],
}

/** Helper functions the PostgreSQL dialect relies on; created by the PostgreSQL migrations. */
export const POSTGRES_HELPERS = `
CREATE OR REPLACE FUNCTION basalt_try_jsonb(value text) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  IF value IS NULL OR value = '' THEN RETURN NULL; END IF;
  RETURN value::jsonb;
EXCEPTION WHEN others THEN
  RETURN NULL;
END $$;
`
