// PostgreSQL spelling of the SqlDialect contract.
import { sql, type Sql } from '../sql.ts'
import { DialectUnsupportedError, type ColumnKind, type ScalarType, type SqlDialect } from './types.ts'
import { quoteIdentText } from './sqlite.ts'

/** jsonb of a column that may hold JSON text, a jsonb value or '' (empty) — never raises on bad input. */
const asArray = (expr: Sql) =>
  sql`(CASE WHEN jsonb_typeof(basalt_try_jsonb(${expr}::text)) = 'array' THEN basalt_try_jsonb(${expr}::text) ELSE '[]'::jsonb END)`

const pathParam = (path: readonly (string | number)[]) =>
  sql`${`{${path.map((s) => `"${String(s).replace(/["\\]/g, (c) => `\\${c}`)}"`).join(',')}}`}::text[]`

const cast = (expr: Sql, type: ScalarType) =>
  type === 'text' ? sql`CAST(${expr} AS TEXT)` : sql`CAST(${expr} AS DOUBLE PRECISION)`

export const postgresDialect: SqlDialect = {
  name: 'postgres',
  ident: (name) => sql.raw(quoteIdentText(name)),
  placeholder: (i) => `$${i + 1}`,
  like: (left, pattern, negate) =>
    negate ? sql`${left}::text NOT ILIKE ${pattern} ESCAPE '\\'` : sql`${left}::text ILIKE ${pattern} ESCAPE '\\'`,
  jsonEach: (arrayExpr, alias) =>
    sql`jsonb_array_elements_text(${asArray(arrayExpr)}) AS ${sql.raw(quoteIdentText(alias))}("value")`,
  jsonArrayLength: (arrayExpr) => sql`jsonb_array_length(${asArray(arrayExpr)})`,
  jsonExtract: (expr, path) => sql`(basalt_try_jsonb(${expr}::text) #>> ${pathParam(path)})`,
  random: () => sql`RANDOM()`,
  lower: (expr) => sql`LOWER(${expr}::text)`,
  isNot: (l, r) => sql`${l} IS DISTINCT FROM ${r}`,
  is: (l, r) => sql`${l} IS NOT DISTINCT FROM ${r}`,
  // Booleans are 0/1 SMALLINTs, as on SQLite, so rules compare them identically on both engines.
  columnType: (kind: ColumnKind) =>
    ({
      // Byte order, like SQLite: sorts and range comparisons (COLLATE "C") can then use indexes.
      text: 'TEXT COLLATE "C" DEFAULT \'\' NOT NULL',
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

  // Bound parameters arrive untyped (two of them compare as text) and mixed types raise errors, so
  // the rule compiler casts explicitly and reconciles operand types before comparing.
  strictTypes: true,
  cast,
  jsonValue: (expr, path) => sql`NULLIF(basalt_try_jsonb(${expr}::text) #> ${pathParam(path)}, 'null'::jsonb)`,
  jsonAs: (expr, type) =>
    type === 'text'
      // SQLite's json_extract turns booleans into 1/0.
      ? sql`(CASE jsonb_typeof(${expr}) WHEN 'boolean' THEN (CASE WHEN (${expr} #>> '{}') = 'true' THEN '1' ELSE '0' END) ELSE ${expr} #>> '{}' END)`
      : sql`(CASE jsonb_typeof(${expr}) WHEN 'number' THEN (${expr} #>> '{}')::double precision WHEN 'boolean' THEN (CASE WHEN (${expr} #>> '{}') = 'true' THEN 1 ELSE 0 END) END)`,
  textToJson: (expr) => sql`to_jsonb(${cast(expr, 'text')})`,
  jsonClass: (expr) =>
    sql`(CASE jsonb_typeof(${expr}) WHEN 'number' THEN 'n' WHEN 'boolean' THEN 'n' WHEN 'string' THEN 't' WHEN 'array' THEN 't' WHEN 'object' THEN 't' END)`,
  textToNumber: (expr) => sql`basalt_try_float8(${expr})`,
  jsonEachValue: (arrayExpr, alias) => ({
    source: sql`jsonb_array_elements(${asArray(arrayExpr)}) AS ${sql.raw(quoteIdentText(alias))}("value")`,
    value: sql`NULLIF(${sql.raw(quoteIdentText(alias))}."value", 'null'::jsonb)`,
  }),
  binaryOrder: (expr) => sql`(${expr} COLLATE "C")`,
  orderTerm: (expr, desc, type, notNull) => {
    const e = type === 'text' ? sql`(${expr} COLLATE "C")` : expr
    // SQLite orders NULLs first; say so only where NULLs can occur, since the clause hides indexes.
    const nulls = notNull ? '' : desc ? ' NULLS LAST' : ' NULLS FIRST'
    return sql`${e}${sql.raw(desc ? ' DESC' : ' ASC')}${sql.raw(nulls)}`
  },
  strftime: (format, value, modifiers) => strftime(format, value, modifiers),
}

// --- strftime(): SQLite's format and modifiers on a UTC `timestamp` ---

const T = sql.raw('"__strftime"."t"')

/** One format specifier as a text expression of `t`. */
function specifier(c: string): Sql | null {
  const chars: Record<string, string> = {
    Y: 'YYYY', m: 'MM', d: 'DD', H: 'HH24', M: 'MI', S: 'SS', f: 'SS.MS', j: 'DDD',
    F: 'YYYY-MM-DD', T: 'HH24:MI:SS', R: 'HH24:MI', u: 'ID',
  }
  if (Object.hasOwn(chars, c)) return sql`to_char(${T}, ${sql.raw(`'${chars[c]}'`)})`
  switch (c) {
    case 'w': return sql`EXTRACT(DOW FROM ${T})::int::text`
    // Week of the year, Monday first; days before the first Monday are week 00 (SQLite %W).
    case 'W': return sql`lpad(((EXTRACT(DOY FROM ${T})::int + 6 - ((EXTRACT(DOW FROM ${T})::int + 6) % 7)) / 7)::text, 2, '0')`
    case 's': return sql`floor(EXTRACT(EPOCH FROM ${T}))::bigint::text`
    default: return null
  }
}

/** Applies `f` to `ts` computed once (a one-row subquery), so chained modifiers never repeat their input. */
const once = (ts: Sql, f: (t: Sql) => Sql) => sql`(SELECT ${f(sql.raw('"__m"."t"'))} FROM (SELECT ${ts} AS "t") AS "__m")`

const UNIT = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)\s*(day|hour|minute|second|month|year)s?$/

function modifier(ts: Sql, raw: string): Sql {
  const m = raw.trim().toLowerCase().replace(/\s+/g, ' ')
  const unit = UNIT.exec(m)
  if (unit) {
    const [, sign, num, name] = unit
    const amount = `${sign === '-' ? '-' : ''}${num} ${name}s`
    if (name === 'month' || name === 'year') {
      if (!/^\d+$/.test(num)) throw new DialectUnsupportedError(`strftime() modifier ${JSON.stringify(raw)} is not supported on this database (use whole months/years)`)
      // SQLite keeps the day of month and lets it overflow (Jan 31 + 1 month = Mar 2/3).
      return once(ts, (t) => sql`date_trunc('month', ${t}) + CAST(${amount} AS INTERVAL) + (${t} - date_trunc('month', ${t}))`)
    }
    return sql`(${ts} + CAST(${amount} AS INTERVAL))`
  }
  const start = /^start of (month|year|day)$/.exec(m)
  if (start) return sql`date_trunc(${sql.raw(`'${start[1]}'`)}, ${ts})`
  const weekday = /^weekday ([0-6])$/.exec(m)
  if (weekday) {
    return once(ts, (t) => sql`${t} + make_interval(days => (${sql.raw(weekday[1])} - EXTRACT(DOW FROM ${t})::int + 7) % 7)`)
  }
  throw new DialectUnsupportedError(`strftime() modifier ${JSON.stringify(raw.slice(0, 64))} is not supported on this database`)
}

function strftime(format: string, value: Sql | null, modifiers: readonly string[]): Sql {
  let ts = value ? sql`basalt_try_timestamp(${value})` : sql`(now() AT TIME ZONE 'UTC')`
  for (const m of modifiers) ts = modifier(ts, m)
  const pieces: Sql[] = []
  let literal = ''
  for (let i = 0; i < format.length; i++) {
    if (format[i] !== '%') { literal += format[i]; continue }
    const c = format[++i]
    if (c === '%') { literal += '%'; continue }
    const spec = c === undefined ? null : specifier(c)
    if (!spec) throw new DialectUnsupportedError(`strftime() format ${JSON.stringify(`%${c ?? ''}`)} is not supported on this database`)
    if (literal) pieces.push(sql`CAST(${literal} AS TEXT)`)
    literal = ''
    pieces.push(spec)
  }
  if (literal) pieces.push(sql`CAST(${literal} AS TEXT)`)
  const body = pieces.length ? sql`concat(${sql.join(pieces)})` : sql.raw("''")
  return sql`COALESCE((SELECT CASE WHEN ${T} IS NOT NULL THEN ${body} END FROM (SELECT ${ts} AS "t") AS "__strftime"), '')`
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

-- Text SQLite's NUMERIC affinity would turn into a number (else NULL); out-of-range values saturate.
CREATE OR REPLACE FUNCTION basalt_try_float8(value text) RETURNS double precision
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  IF value IS NULL OR value !~ '^\\s*[-+]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][-+]?[0-9]+)?\\s*$' THEN RETURN NULL; END IF;
  RETURN value::double precision;
EXCEPTION WHEN others THEN
  IF value ~ '[eE]\\s*-' THEN RETURN 0; END IF;
  RETURN CASE WHEN btrim(value) LIKE '-%' THEN '-Infinity'::double precision ELSE 'Infinity'::double precision END;
END $$;

-- SQLite's date/time text forms (YYYY-MM-DD[ T]HH:MM[:SS[.fff]][Z|±HH:MM], 'now') as a UTC timestamp;
-- NULL for anything else, as SQLite's date functions.
CREATE OR REPLACE FUNCTION basalt_try_timestamp(value text) RETURNS timestamp
LANGUAGE plpgsql STABLE SET timezone TO 'UTC' AS $$
BEGIN
  IF value IS NULL THEN RETURN NULL; END IF;
  IF lower(btrim(value)) = 'now' THEN RETURN now() AT TIME ZONE 'UTC'; END IF;
  IF value !~ '^\\s*\\d{4}-\\d{2}-\\d{2}([ T]\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?)?\\s*([zZ]|[+-]\\d{2}:\\d{2})?\\s*$' THEN RETURN NULL; END IF;
  RETURN value::timestamptz AT TIME ZONE 'UTC';
EXCEPTION WHEN others THEN
  RETURN NULL;
END $$;
`
