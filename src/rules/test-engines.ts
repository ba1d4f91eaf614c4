// Test helper: the seeded test schema on every engine (in-memory SQLite; a fresh PostgreSQL database when
// one answers), so one table of filter cases runs on both and must give the same answers.
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { afterAll, beforeAll, describe } from 'vitest'
import { POSTGRES_URL, probe } from '../../test/support/services.ts'
import { POSTGRES_HELPERS, postgresDialect } from '../store/dialects/postgres.ts'
import { sqliteDialect } from '../store/dialects/sqlite.ts'
import type { SqlDialect } from '../store/dialects/types.ts'
import { sql, type Sql } from '../store/sql.ts'
import { compileFilter } from './index.ts'
import type { CompileOptions } from './resolve-context.ts'
import { buildSchema, createTableSql, options, seedStatements, seededDb } from './test-schema.ts'

type Row = Record<string, unknown>

export interface Engine {
  readonly name: 'sqlite' | 'postgres'
  readonly dialect: SqlDialect
  all<T = Row>(q: Sql): Promise<T[]>
  close(): Promise<void>
}

interface EngineSpec {
  name: Engine['name']
  available: () => boolean
  open: () => Promise<Engine>
}

function openSqlite(): Promise<Engine> {
  const db = seededDb()
  return Promise.resolve({
    name: 'sqlite',
    dialect: sqliteDialect,
    all: async <T>(q: Sql) => {
      const { sql, params } = q.render(sqliteDialect.placeholder)
      return db.prepare(sql).all(...params) as T[]
    },
    close: async () => { db.close() },
  })
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 5000 })
  await c.connect()
  try {
    return await fn(c)
  } finally {
    await c.end()
  }
}

async function openPostgres(): Promise<Engine> {
  const name = `basalt_rules_${randomBytes(6).toString('hex')}`
  await admin((c) => c.query(`CREATE DATABASE ${name}`))
  const url = new URL(POSTGRES_URL)
  url.pathname = `/${name}`
  const client = new pg.Client({ connectionString: url.toString(), statement_timeout: 20_000 })
  try {
    await client.connect()
    await client.query(POSTGRES_HELPERS)
    for (const c of Object.values(buildSchema().byName)) await client.query(createTableSql(c, postgresDialect))
    for (const s of seedStatements(postgresDialect)) await client.query(s.sql, s.params)
  } catch (e) {
    await client.end().catch(() => {})
    await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))
    throw e
  }
  return {
    name: 'postgres',
    dialect: postgresDialect,
    all: async <T>(q: Sql) => {
      const { sql, params } = q.render(postgresDialect.placeholder)
      return (await client.query(sql, params as unknown[])).rows as T[]
    },
    close: async () => {
      await client.end().catch(() => {})
      await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))
    },
  }
}

let postgresUp: boolean | undefined
function postgresAvailable(): boolean {
  if (postgresUp === undefined) {
    postgresUp = probe('postgres')
    if (!postgresUp) console.warn(`SKIP postgres: no PostgreSQL answered at ${POSTGRES_URL}; rule execution tests run on SQLite only.`)
  }
  return postgresUp
}

const SPECS: EngineSpec[] = [
  { name: 'sqlite', available: () => true, open: openSqlite },
  { name: 'postgres', available: postgresAvailable, open: openPostgres },
]

// One database per engine and test file, opened on first use and closed after the file's tests.
const opened = new Map<string, Promise<Engine>>()
let closeRegistered = false

function engineFor(spec: EngineSpec): Promise<Engine> {
  let p = opened.get(spec.name)
  if (!p) opened.set(spec.name, (p = spec.open()))
  return p
}

/**
 * Declares `body` once per engine (`title [sqlite]`, `title [postgres]`); the PostgreSQL copy is
 * skipped, with a visible warning, when no PostgreSQL answers. `engine()` is valid inside tests.
 */
export function describeEngines(title: string, body: (engine: () => Engine) => void): void {
  if (!closeRegistered) {
    closeRegistered = true
    afterAll(async () => {
      const all = [...opened.values()]
      opened.clear()
      for (const p of all) await (await p).close()
    })
  }
  for (const spec of SPECS) {
    describe.skipIf(!spec.available())(`${title} [${spec.name}]`, () => {
      let engine: Engine | undefined
      beforeAll(async () => { engine = await engineFor(spec) }, 60_000)
      body(() => engine!)
    })
  }
}

/** Ids of `collection` rows matching `filter`, compiled for and run on `engine`. */
export async function ids(engine: Engine, collection: string, filter: string, opts: Partial<CompileOptions> = {}): Promise<string[]> {
  const where = compileFilter(filter, options(collection, { dialect: engine.dialect, ...opts }))
  const rows = await engine.all<{ id: string }>(sql`SELECT "r"."id" AS id FROM ${sql.raw(`"${collection}"`)} AS "r" WHERE ${where} ORDER BY "r"."id"`)
  return rows.map((r) => r.id)
}
