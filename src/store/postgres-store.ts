// PostgreSQL store: a pg connection pool; each transaction runs on one pooled client.
import { processLogger } from '../observability/logger.ts'
import pg from 'pg'
import { postgresDialect } from './dialects/postgres.ts'
import type { Sql } from './sql.ts'
import type { Executor, Row, SelectSample, Store, StoreOptions } from './types.ts'
import { pgConsole, pgSelect } from './postgres-select.ts'
import type { ConsoleOptions, ConsoleResult } from './sql-console.ts'
import { afterCommitOf, openScope, runAfterCommit, runInScope, type AfterCommit, type TxScope } from './tx-scope.ts'

export interface PostgresOptions extends StoreOptions {
  connectionString: string
  /** Max pooled connections per node. */
  poolSize?: number
  /** Server-side cap on one statement, so a pathological filter cannot hold a connection. */
  statementTimeoutMs?: number
  /** How long a request waits for a free connection before failing (503) instead of hanging. */
  connectTimeoutMs?: number
}

// JSON columns come back as text, exactly like SQLite, so field codecs are engine-independent;
// COUNT(*) (int8) is parsed to a number.
const TEXT_TYPES = new Set<number>([114, 3802])
const INT8 = 20
function typeParser(oid: number, format?: string) {
  if (TEXT_TYPES.has(oid)) return (v: string) => v
  if (oid === INT8) return (v: string) => Number(v)
  return pg.types.getTypeParser(oid, format as 'text')
}

function render(q: Sql) {
  const { sql, params } = q.render(postgresDialect.placeholder)
  return { text: sql, values: params.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p)) }
}

/** An executor bound to one connection (a transaction's client, or the pool). */
type PgExecutor = Executor & { client: pg.PoolClient | pg.Pool }

function clientExecutor(client: pg.PoolClient | pg.Pool): PgExecutor {
  return {
    client,
    async all<T>(q: Sql) { return (await client.query(render(q))).rows as T[] },
    async get<T>(q: Sql) { return (await client.query(render(q))).rows[0] as T | undefined },
    async run(q: Sql) { return { changes: (await client.query(render(q))).rowCount ?? 0 } },
    async exec(ddl: string) { await client.query(ddl) },
    // The extended protocol carries exactly one statement (the simple one would run a `;`-chained second).
    async execOne(ddl: string) { await client.query({ text: ddl, queryMode: 'extended' } as pg.QueryConfig) },
  }
}

export class PostgresStore implements Store {
  readonly dialect = postgresDialect
  readonly pool: pg.Pool
  private readonly pooled: Executor
  private readonly onError: (err: unknown) => void

  constructor(opts: PostgresOptions) {
    this.onError = opts.onError ?? ((err) => processLogger().error({ err }, 'store: after-commit callback failed'))
    this.pool = new pg.Pool({
      connectionString: opts.connectionString,
      max: opts.poolSize ?? 10,
      connectionTimeoutMillis: opts.connectTimeoutMs ?? 5000,
      statement_timeout: opts.statementTimeoutMs ?? 15_000,
      idle_in_transaction_session_timeout: 60_000,
      types: { getTypeParser: typeParser as never },
    })
    // A dropped idle connection must not crash the process; the pool replaces it on next use.
    this.pool.on('error', () => {})
    this.pooled = clientExecutor(this.pool)
  }

  /** Inside a transaction every statement goes through its connection (never a second pooled one). */
  private db(): Executor { return openScope(this)?.tx ?? this.pooled }
  all<T = Row>(q: Sql) { return this.db().all<T>(q) }
  get<T = Row>(q: Sql) { return this.db().get<T>(q) }
  run(q: Sql) { return this.db().run(q) }
  exec(ddl: string) { return this.db().exec(ddl) }
  execOne(ddl: string) { return this.db().execOne(ddl) }

  runConsole(query: string, opts: ConsoleOptions): Promise<ConsoleResult> {
    return pgConsole(this.pool, query, opts)
  }

  async selectSample(query: string, limit: number): Promise<SelectSample> {
    const scope = openScope(this)
    if (scope) {
      // Inside a transaction: on its connection (it sees the transaction's schema), undone by a savepoint.
      const client = (scope.tx as PgExecutor).client as pg.PoolClient
      await client.query('SAVEPOINT basalt_select')
      try { return await pgSelect(client, query, limit) } finally { await client.query('ROLLBACK TO SAVEPOINT basalt_select') }
    }
    const client = await this.pool.connect()
    try {
      await client.query('BEGIN READ ONLY')
      return await pgSelect(client, query, limit)
    } finally {
      await client.query('ROLLBACK').catch(() => {})
      client.release()
    }
  }

  afterCommit(fn: AfterCommit) { afterCommitOf(this, fn, this.onError) }

  async transaction<T>(fn: (tx: Executor) => Promise<T>): Promise<T> {
    const outer = openScope(this)
    if (outer) return fn(outer.tx)
    const client = await this.pool.connect()
    let broken = false
    // A checked-out client is not covered by the pool's error listener: without its own, a
    // connection terminated by the server mid-transaction would crash the process.
    const onError = () => { broken = true }
    client.on('error', onError)
    const tx = clientExecutor(client)
    const scope: TxScope = { tx, owner: this, afterCommit: [], ended: false }
    let committed = false
    try {
      await client.query('BEGIN')
      const result = await runInScope(scope, () => fn(tx))
      await client.query('COMMIT')
      committed = true
      return result
    } catch (err) {
      try { await client.query('ROLLBACK') } catch { broken = true }
      throw err
    } finally {
      scope.ended = true
      client.off('error', onError)
      client.release(broken || undefined)
      if (committed) await runAfterCommit(scope, this.onError)
    }
  }

  async close() {
    await this.pool.end()
  }
}

/** Errors that mean "the database is unreachable right now" (→ 503, retry later), not a bad request. */
export function isConnectionError(err: unknown): boolean {
  const e = err as { code?: string; message?: string }
  if (!e) return false
  if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '53300'].includes(e.code ?? '')) return true
  return typeof e.message === 'string' && /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|connection is closed/i.test(e.message)
}
