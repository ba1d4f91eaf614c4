// SqlDialect: the only place where SQL spelling differs between SQLite and PostgreSQL.
import type { Sql } from '../sql.ts'

export interface SqlDialect {
  readonly name: 'sqlite' | 'postgres'
  /** Quotes an identifier (table, column, alias). Rejects names that cannot be quoted safely. */
  ident(name: string): Sql
  /** Spells the i-th (0-based) bound parameter. */
  placeholder(index: number): string
  /** Case-insensitive LIKE with `\` as escape character. */
  like(left: Sql, pattern: Sql, negate: boolean): Sql
  /** A table source iterating the elements of a JSON array column as text, exposing column `value`. */
  jsonEach(arrayExpr: Sql, alias: string): Sql
  /** Number of elements of a JSON array value (0 for NULL / non-array). */
  jsonArrayLength(arrayExpr: Sql): Sql
  /** Extracts a JSON path (object keys / array indexes) from a JSON column. */
  jsonExtract(expr: Sql, path: readonly (string | number)[]): Sql
  /** ORDER BY term for random order. */
  random(): Sql
  /** Lower-cases a text expression. */
  lower(expr: Sql): Sql
  /** Null-safe "is distinct from". */
  isNot(left: Sql, right: Sql): Sql
  /** Null-safe "is not distinct from". */
  is(left: Sql, right: Sql): Sql
  /** Column type spelling for a logical column kind. */
  columnType(kind: ColumnKind): string
  /** SQL literal for booleans as stored. */
  bool(value: boolean): Sql
  /** Case-insensitive equality, used for identities such as emails. */
  equalsIgnoreCase(left: Sql, right: Sql): Sql
  /** Index column term for a case-insensitive (NOCASE) index column. */
  nocaseIndexColumn(quotedColumn: string): string
  /** Expression converting a single-value column to a one-item JSON array ('' → []). */
  singleToMulti(quotedColumn: string): string
  /** Expression converting a JSON array column to its last item ('' when empty). */
  multiToSingle(quotedColumn: string): string
  /** Suffix locking the selected row of `alias` until commit (empty where writers are serialized anyway). */
  forUpdate(alias: string): Sql
  /** Extra column definitions every record table gets (e.g. an insertion-order `_rowid_`). */
  readonly systemColumns: string[]

  // --- Typed comparisons (rule/filter compiler) ---
  /**
   * True where both operands of a comparison must have one SQL type and bound parameters carry no
   * type (PostgreSQL); false where values compare by affinity (SQLite), so the casts below are not needed.
   */
  readonly strictTypes: boolean
  /** Casts an expression (usually a bound parameter) to a scalar type. */
  cast(expr: Sql, type: ScalarType): Sql
  /**
   * A JSON path of a JSON column (or JSON text) as a typed JSON value, JSON null as SQL NULL. SQLite:
   * json_extract (already a typed SQL value); PostgreSQL: jsonb, to be converted with `jsonAs`/`toJson`.
   */
  jsonValue(expr: Sql, path: readonly (string | number)[]): Sql
  /** Converts a `jsonValue` to text (strings unquoted, containers as JSON) or to a number (NULL unless a number/boolean). */
  jsonAs(jsonExpr: Sql, type: ScalarType): Sql
  /** A text expression as a JSON string value comparable with a `jsonValue`. */
  textToJson(expr: Sql): Sql
  /** 'n' (number, boolean), 't' (string, array, object) or NULL: how SQLite compares a `jsonValue`. */
  jsonClass(jsonExpr: Sql): Sql
  /** The number a text would become under SQLite's NUMERIC affinity; NULL when it does not look numeric. */
  textToNumber(textExpr: Sql): Sql
  /** Like `jsonEach`, but `value` keeps the JSON type of each element (a `jsonValue`). */
  jsonEachValue(arrayExpr: Sql, alias: string): { source: Sql; value: Sql }
  /** Text comparison in byte order (SQLite's BINARY collation), whatever the database collation is. */
  binaryOrder(textExpr: Sql): Sql
  /** One ORDER BY term; NULLs sort first ascending and last descending, as on SQLite. */
  /** `notNull`: the term is a NOT NULL column, so no NULLS FIRST/LAST is needed (and an index stays usable). */
  orderTerm(expr: Sql, desc: boolean, type?: ScalarType | 'json', notNull?: boolean): Sql
  /**
   * SQLite-style `strftime(format, value, modifiers…)`, '' for NULL / invalid dates. `value` is text
   * (null: the current time). Throws `DialectUnsupportedError` for formats or modifiers it cannot spell.
   */
  strftime(format: string, value: Sql | null, modifiers: readonly string[]): Sql
}

export type ScalarType = 'text' | 'number'

/** A feature the dialect cannot express; the message is safe to show to API clients. */
export class DialectUnsupportedError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'DialectUnsupportedError'
  }
}

export type ColumnKind = 'text' | 'number' | 'bool' | 'json' | 'jsonArray'
