// Store contract: async SQL execution with one-transaction writes; SQLite and PostgreSQL implement it.
import type { Sql } from './sql.ts'
import type { SqlDialect } from './dialects/types.ts'
import type { AfterCommit } from './tx-scope.ts'
import type { ResultColumn } from './select-query.ts'
import type { ConsoleOptions, ConsoleResult } from './sql-console.ts'

export type Row = Record<string, unknown>

/** Runs SQL fragments. Inside a transaction the executor is bound to that transaction. */
export interface Executor {
  all<T = Row>(query: Sql): Promise<T[]>
  get<T = Row>(query: Sql): Promise<T | undefined>
  run(query: Sql): Promise<{ changes: number }>
  /** Trusted DDL text with no parameters (schema sync, migrations). */
  exec(ddl: string): Promise<void>
  /** DDL embedding user-written SQL (a view's query): the engine refuses anything but exactly one statement. */
  execOne(ddl: string): Promise<void>
}

/** Columns and the first rows (as arrays, in column order) of a SELECT that ran read-only and was rolled back. */
export interface SelectSample { columns: ResultColumn[]; rows: unknown[][] }

/**
 * A nested `transaction` call (anywhere in the async call chain of `fn`, including `store.all/get/run`)
 * joins the outer transaction: one connection, one commit. Not in the contract: cross-statement snapshot
 * isolation for reads outside a transaction (each read sees the latest committed data).
 */
export interface Store extends Executor {
  readonly dialect: SqlDialect
  /** Runs `fn` in one write transaction: all or nothing. Writes are serialized on SQLite. */
  transaction<T>(fn: (tx: Executor) => Promise<T>): Promise<T>
  /**
   * Runs one user-written SELECT read-only (never committed: a rolled-back transaction or savepoint) and
   * returns its columns and at most `limit` rows. Inside a transaction it runs on that transaction's
   * connection (it sees the transaction's schema changes). Throws `QueryRefusedError` for a statement
   * that is not a read-only SELECT, or the engine's error for an invalid one.
   */
  selectSample(query: string, limit: number): Promise<SelectSample>
  /**
   * The superuser SQL console: one statement (refused otherwise) with a deadline, outside any app
   * transaction. Read-only mode refuses writes and commits nothing. Throws `QueryRefusedError`,
   * `QueryTimeoutError`, or the engine's error.
   */
  runConsole(query: string, opts: ConsoleOptions): Promise<ConsoleResult>
  /** Runs `fn` after the current transaction commits (dropped on rollback); outside one, soon. */
  afterCommit(fn: AfterCommit): void
  close(): Promise<void>
}

export interface StoreOptions {
  /** An after-commit callback failed (the data is committed; the error is only reported). */
  onError?: (err: unknown) => void
}

/** Is this a unique-constraint violation from the driver? (Used to turn races into 400s.) */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; message?: string }
  return e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === '23505' ||
    (typeof e?.message === 'string' && e.message.includes('UNIQUE constraint failed'))
}
