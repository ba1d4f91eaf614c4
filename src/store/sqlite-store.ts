// SQLite store: one writer connection behind an async mutex, one reader connection (WAL).
import { processLogger } from '../observability/logger.ts'
import Database from 'better-sqlite3'
import type { Statement, Database as Db } from 'better-sqlite3'
import { sqliteDialect } from './dialects/sqlite.ts'
import type { Sql } from './sql.ts'
import type { Executor, Row, SelectSample, Store, StoreOptions } from './types.ts'
import { sqliteSelect } from './sqlite-select.ts'
import { sqliteConsole } from './sqlite-console.ts'
import type { ConsoleOptions, ConsoleResult } from './sql-console.ts'
import { afterCommitOf, openScope, runAfterCommit, runInScope, type AfterCommit, type TxScope } from './tx-scope.ts'

const STATEMENT_CACHE_SIZE = 500

export interface SqliteOptions extends StoreOptions {
  file: string
  /** 'NORMAL' survives process crashes (WAL); 'FULL' also survives power loss at a write cost. */
  synchronous?: 'NORMAL' | 'FULL'
  /** Page cache per connection (two connections), KiB; default 32 MiB. */
  cacheSizeKb?: number
}

const DEFAULT_CACHE_KB = 32_000

class StatementCache {
  private readonly map = new Map<string, Statement>()
  constructor(private readonly db: Db) {}

  get(text: string): Statement {
    let st = this.map.get(text)
    if (st) {
      this.map.delete(text)
      this.map.set(text, st)
      return st
    }
    st = this.db.prepare(text)
    this.map.set(text, st)
    if (this.map.size > STATEMENT_CACHE_SIZE) this.map.delete(this.map.keys().next().value!)
    return st
  }

  clear() { this.map.clear() }
}

function connectionExecutor(db: Db, cache: StatementCache, onDdl: () => void = () => {}): Executor {
  return {
    async all<T>(q: Sql) {
      const { sql, params } = q.render()
      return cache.get(sql).all(...params) as T[]
    },
    async get<T>(q: Sql) {
      const { sql, params } = q.render()
      return cache.get(sql).get(...params) as T | undefined
    },
    async run(q: Sql) {
      const { sql, params } = q.render()
      const st = cache.get(sql)
      if (st.reader) { st.all(...params); return { changes: 0 } }
      return { changes: st.run(...params).changes }
    },
    async exec(ddl: string) {
      db.exec(ddl)
      cache.clear()
      onDdl()
    },
    async execOne(ddl: string) {
      db.prepare(ddl).run() // prepare refuses a second statement
      cache.clear()
      onDdl()
    },
  }
}

function openConnection(file: string, synchronous: string, cacheSizeKb: number): Db {
  const db = new Database(file)
  db.pragma('journal_mode = WAL')
  db.pragma(`synchronous = ${synchronous}`)
  db.pragma('busy_timeout = 10000')
  db.pragma('foreign_keys = OFF')
  db.pragma('temp_store = MEMORY')
  db.pragma(`cache_size = -${Math.floor(cacheSizeKb)}`)
  return db
}

export class SqliteStore implements Store {
  readonly dialect = sqliteDialect
  private readonly writer: Db
  private readonly reader: Db
  private readonly writeExec: Executor
  private readonly readExec: Executor
  private readerCache: StatementCache
  private lock: Promise<unknown> = Promise.resolve()
  /** Transactions waiting for the writer connection (observability: GET /api/metrics). */
  writerQueue = 0
  private readonly onError: (err: unknown) => void
  private readonly file: string

  constructor(opts: SqliteOptions) {
    this.file = opts.file
    this.onError = opts.onError ?? ((err) => processLogger().error({ err }, 'store: after-commit callback failed'))
    const sync = opts.synchronous ?? 'NORMAL'
    const cacheKb = opts.cacheSizeKb ?? DEFAULT_CACHE_KB
    this.writer = openConnection(opts.file, sync, cacheKb)
    // An in-memory database is private to its connection, so reads must share the writer.
    this.reader = opts.file === ':memory:' ? this.writer : openConnection(opts.file, sync, cacheKb)
    this.readerCache = new StatementCache(this.reader)
    // Schema changes invalidate prepared reader statements (they may reference dropped columns).
    this.writeExec = connectionExecutor(this.writer, new StatementCache(this.writer), () => this.readerCache.clear())
    this.readExec = connectionExecutor(this.reader, this.readerCache)
  }

  /** Inside a transaction, reads go through it (they must see its own uncommitted writes). */
  private reads(): Executor { return openScope(this)?.tx ?? this.readExec }
  all<T = Row>(q: Sql) { return this.reads().all<T>(q) }
  get<T = Row>(q: Sql) { return this.reads().get<T>(q) }
  run(q: Sql) { return this.transaction((tx) => tx.run(q)) }
  async exec(ddl: string) {
    await this.transaction((tx) => tx.exec(ddl))
  }

  async execOne(ddl: string) {
    await this.transaction((tx) => tx.execOne(ddl))
  }

  async selectSample(query: string, limit: number): Promise<SelectSample> {
    return sqliteSelect(openScope(this) ? this.writer : this.reader, query, limit)
  }

  runConsole(query: string, opts: ConsoleOptions): Promise<ConsoleResult> {
    return sqliteConsole(this.file, query, opts)
  }

  afterCommit(fn: AfterCommit) { afterCommitOf(this, fn, this.onError) }

  async transaction<T>(fn: (tx: Executor) => Promise<T>): Promise<T> {
    // Joining matters here: a nested call waiting for the writer lock held by its own caller would deadlock.
    const outer = openScope(this)
    if (outer) return fn(outer.tx)
    const previous = this.lock
    let release!: () => void
    this.lock = new Promise<void>((r) => (release = r))
    this.writerQueue++
    try { await previous } finally { this.writerQueue-- }
    const scope: TxScope = { tx: this.writeExec, owner: this, afterCommit: [], ended: false }
    try {
      this.writer.exec('BEGIN IMMEDIATE')
      try {
        const result = await runInScope(scope, () => fn(this.writeExec))
        this.writer.exec('COMMIT')
        scope.ended = true
        release()
        await runAfterCommit(scope, this.onError)
        return result
      } catch (err) {
        if (this.writer.inTransaction) this.writer.exec('ROLLBACK')
        throw err
      }
    } finally {
      scope.ended = true
      release()
    }
  }

  async close() {
    await this.lock
    if (this.reader !== this.writer) this.reader.close()
    // A checkpoint needs disk space; on a full disk the WAL stays (SQLite replays it at next open).
    try { this.writer.pragma('wal_checkpoint(TRUNCATE)') } catch (err) { processLogger().warn({ err }, 'store: final checkpoint failed; the WAL is kept') }
    this.writer.close()
  }
}
