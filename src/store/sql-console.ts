// The superuser SQL console (POST /api/sql): one statement with a deadline, read-only unless asked otherwise.

export interface ConsoleOptions {
  /** Allow statements that write (run in a committed write transaction); otherwise read-only and rolled back. */
  write: boolean
  /** Deadline for the statement, in milliseconds. */
  timeoutMs: number
  /** Rows returned at most (the rest are dropped). */
  maxRows: number
}

export interface ConsoleColumn { name: string; type: string; nullable: boolean }

/** Raw engine values; `consoleCell` turns them into the strings the API returns. */
export interface ConsoleResult { columns: ConsoleColumn[]; rows: unknown[][]; affectedRows: number }

/** The statement ran past its deadline and was cancelled; the message is safe to show. */
export class QueryTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`The query did not finish within ${timeoutMs} ms and was cancelled.`)
    this.name = 'QueryTimeoutError'
  }
}

/** A cell as the SQL console returns it (PocketBase's `rows: (string | null)[][]`): bytes as base64, JSON as text. */
export function consoleCell(v: unknown): string | null {
  if (v === null || v === undefined) return null
  if (typeof v === 'string') return v
  if (v instanceof Date) return v.toISOString()
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64')
  if (typeof v === 'object') return JSON.stringify(v)
  return String(v)
}
