// POST /api/sql (superusers): PocketBase's SQL console, read-only unless `write: true`, with a deadline (docs/sql.md).
import { badRequest, fieldError } from './errors.ts'
import type { Store } from '../store/types.ts'
import { checkSelect, MAX_QUERY_LENGTH, QueryRefusedError } from '../store/select-query.ts'
import { consoleCell, QueryTimeoutError, type ConsoleColumn } from '../store/sql-console.ts'
import { isConnectionError } from '../store/postgres-store.ts'
import { ErrorCode } from './error-codes.ts'

export const SQL_MAX_ROWS = 1000
export const SQL_DEFAULT_TIMEOUT_MS = 10_000
export const SQL_MAX_TIMEOUT_MS = 60_000

export interface SqlResponse { execTime: number; affectedRows: number; columns: ConsoleColumn[]; rows: (string | null)[][] }

const FAILED = 'Failed to execute the query.'

export async function runSql(store: Store, body: Record<string, unknown>): Promise<SqlResponse> {
  const { query, write, timeout } = body
  if (typeof query !== 'string' || !query.trim()) throw badRequest(FAILED, { query: fieldError(ErrorCode.required, 'Cannot be blank.') })
  if (query.length > MAX_QUERY_LENGTH) throw badRequest(FAILED, { query: fieldError(ErrorCode.lengthTooLong, `The length must be no more than ${MAX_QUERY_LENGTH}.`) })
  if (write !== undefined && typeof write !== 'boolean') throw badRequest(FAILED, { write: fieldError(ErrorCode.invalidValue, 'Must be a boolean.') })
  if (timeout !== undefined && (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout < 1 || timeout > SQL_MAX_TIMEOUT_MS)) {
    throw badRequest(FAILED, { timeout: fieldError(ErrorCode.invalidValue, `Must be a whole number of milliseconds between 1 and ${SQL_MAX_TIMEOUT_MS}.`) })
  }
  let text = query.trim()
  if (write !== true) {
    const checked = checkSelect(query)
    if ('problem' in checked) throw badRequest(FAILED, { query: fieldError(ErrorCode.readOnlyQuery, `${checked.problem} Send "write": true to run other statements.`) })
    text = checked.query
  }
  const started = performance.now()
  try {
    const r = await store.runConsole(text, { write: write === true, timeoutMs: (timeout as number | undefined) ?? SQL_DEFAULT_TIMEOUT_MS, maxRows: SQL_MAX_ROWS })
    const execTime = Math.round((performance.now() - started) * 1000) / 1000
    return { execTime, affectedRows: r.affectedRows, columns: r.columns, rows: r.rows.map((row) => row.map(consoleCell)) }
  } catch (err) {
    if (isConnectionError(err)) throw err
    const code = err instanceof QueryTimeoutError ? ErrorCode.queryTimeout : err instanceof QueryRefusedError ? ErrorCode.readOnlyQuery : ErrorCode.invalidQuery
    throw badRequest(FAILED, { query: fieldError(code, err instanceof Error ? err.message : String(err)) })
  }
}
