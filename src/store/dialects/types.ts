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
}

export type ColumnKind = 'text' | 'number' | 'bool' | 'json' | 'jsonArray'
