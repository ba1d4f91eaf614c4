// Engine-independent copy of a whole Basalt database (collections, params, records) between stores and dump files.
import type { Collection } from '../core/collections/types.ts'
import { USERS_ID } from '../core/collections/types.ts'
import { COLLECTION_COLUMNS, parseCollectionRow, type CollectionRow } from '../core/collections/collection-row.ts'
export { parseCollectionRow, type CollectionRow }
import { recordToDbValues, rowToRecord } from '../core/records/record-io.ts'
import type { RecordData } from '../rules/request-info.ts'
import type { SqlDialect } from './dialects/types.ts'
import { migrateSystemTables, SCHEMA_VERSION } from './migrations.ts'
import { createCollectionTable, dropCollectionTable } from './schema-sync.ts'
import { sql, type Sql, type SqlValue } from './sql.ts'
import type { Executor, Row, Store } from './types.ts'

export const BATCH_SIZE = 500
/** Bound parameters per INSERT, under SQLite's (32766) and PostgreSQL's (65535) limits. */
const MAX_PARAMS = 30_000

export interface ParamRow { id: string; value: string | null; created: string; updated: string }

/** The stream every copy goes through: definitions first, then records per collection, then expected counts. */
export type DumpItem =
  | { type: 'collection'; row: CollectionRow }
  | { type: 'param'; row: ParamRow }
  | { type: 'records'; collection: string; records: RecordData[] }
  /** Rows of a bookkeeping table that is not a collection (e.g. TOTP enrollments), copied verbatim. */
  | { type: 'rows'; table: string; rows: Row[] }
  | { type: 'end'; counts: Record<string, number> }

export interface CollectionSummary { id: string; name: string; expected: number; copied: number; target?: number }

const q = (d: SqlDialect, name: string) => d.ident(name)

export async function countRows(db: Executor, dialect: SqlDialect, table: string): Promise<number> {
  return Number((await db.get<{ n: number }>(sql`SELECT COUNT(*) AS "n" FROM ${q(dialect, table)}`))?.n ?? 0)
}

/** Every table of the database, so bookkeeping tables added by later migrations are copied too. */
async function listTables(db: Executor, dialect: SqlDialect): Promise<string[]> {
  const rows = dialect.name === 'postgres'
    ? await db.all<{ name: string }>(sql`SELECT "table_name" AS "name" FROM information_schema.tables WHERE "table_schema" = current_schema() AND "table_type" = 'BASE TABLE'`)
    : await db.all<{ name: string }>(sql`SELECT "name" FROM sqlite_master WHERE "type" = 'table' AND "name" NOT LIKE 'sqlite_%'`)
  return rows.map((r) => r.name).sort()
}

const tableKey = (name: string) => `table:${name}`

/**
 * Delivery state bound to one store (outbox positions, engine-specific sequence columns): a copy
 * starts with an empty outbox rather than re-delivering the source's events from the target.
 */
const NOT_COPIED = new Set(['_events', '_eventCursors', '_eventLeases'])

/**
 * Runs `fn` on a frozen view of `store`. SQLite: a write transaction, so a server still writing to
 * the source gets "busy" errors instead of acknowledging writes the copy would miss. PostgreSQL: a
 * read-only REPEATABLE READ snapshot. Statement timeouts are lifted: one COUNT(*) may be long.
 */
export async function withSnapshot<T>(store: Store, fn: (db: Executor) => Promise<T>): Promise<T> {
  return store.transaction(async (tx) => {
    if (store.dialect.name === 'postgres') {
      await tx.exec('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY')
      await tx.exec('SET LOCAL statement_timeout = 0')
    }
    return fn(tx)
  })
}

/** Streams a whole database from `db` (use inside withSnapshot), records in insertion order, in batches. */
export async function* readDump(db: Executor, dialect: SqlDialect, batchSize = BATCH_SIZE): AsyncGenerator<DumpItem> {
  let version: { value: string } | undefined
  try {
    version = await db.get<{ value: string }>(sql`SELECT "value" FROM "_params" WHERE "id" = 'schema_version'`)
  } catch {
    throw new Error('the source holds no Basalt database (no _params table)')
  }
  if (!version || Number(JSON.parse(version.value)) !== SCHEMA_VERSION) {
    throw new Error(`the source schema version is ${version?.value ?? 'unknown'}, this Basalt expects ${SCHEMA_VERSION}: run "basalt migrate" on the source first`)
  }
  const rows = await db.all<CollectionRow>(sql`SELECT * FROM "_collections" ORDER BY "created", "id"`)
  // View collections are SQL views: their definitions travel with the collection rows, they hold no data.
  const collections = rows.map(parseCollectionRow).filter((c) => c.type !== 'view')
  // Counted up front, in the same snapshot, so the copy is checked against an independent number.
  const counts: Record<string, number> = {}
  for (const c of collections) counts[c.id] = await countRows(db, dialect, c.name)
  const recordTables = new Set(collections.map((c) => c.name.toLowerCase()))
  const extra = (await listTables(db, dialect)).filter((t) => !recordTables.has(t.toLowerCase()) && t !== '_collections' && t !== '_params' && !NOT_COPIED.has(t))
  for (const t of extra) counts[tableKey(t)] = await countRows(db, dialect, t)
  for (const row of rows) yield { type: 'collection', row: pick(row, COLLECTION_COLUMNS) }
  for (const row of await db.all<ParamRow>(sql`SELECT * FROM "_params" ORDER BY "id"`)) {
    if (row.id !== 'schema_version') yield { type: 'param', row: pick(row, ['id', 'value', 'created', 'updated']) }
  }
  for (const c of collections) {
    // Keyset pagination on the insertion order (SQLite rowid / PostgreSQL "_rowid_"): O(n) overall.
    const t = q(dialect, c.name)
    let after = -1
    for (;;) {
      const page = await db.all(sql`SELECT ${t}."_rowid_" AS "__pos", ${t}.* FROM ${t} WHERE ${t}."_rowid_" > ${after} ORDER BY ${t}."_rowid_" LIMIT ${batchSize}`)
      if (!page.length) break
      after = Number(page[page.length - 1].__pos)
      yield { type: 'records', collection: c.id, records: page.map((r) => rowToRecord(c, r)) }
      if (page.length < batchSize) break
    }
  }
  for (const name of extra) {
    // Basalt's bookkeeping tables all have a text "id" primary key to page on.
    const t = q(dialect, name)
    let after = ''
    for (;;) {
      const page = await db.all(sql`SELECT * FROM ${t} WHERE "id" > ${after} ORDER BY "id" LIMIT ${batchSize}`)
      if (!page.length) break
      after = String(page[page.length - 1].id)
      yield { type: 'rows', table: name, rows: page }
      if (page.length < batchSize) break
    }
  }
  yield { type: 'end', counts }
}

function pick<T, K extends readonly string[]>(row: T, keys: K): never {
  const out: Record<string, unknown> = {}
  for (const k of keys) out[k] = (row as Record<string, unknown>)[k] ?? null
  return out as never
}

export interface WriteOptions {
  /** Allow a target that already holds other collections; any duplicate id, name or index still fails. */
  force?: boolean
  /** Do every write and check, then roll back: the summary says what a real run would write. */
  dryRun?: boolean
}

/** Thrown out of the transaction to roll a dry run back; carries the summary out. */
class DryRunRollback extends Error {
  constructor(readonly summary: CollectionSummary[]) { super('dry run: rolled back') }
}

/**
 * Writes a dump into `target` in ONE transaction under the migration lock: any failure (bad dump,
 * duplicate, count mismatch, truncated input) rolls back and leaves the target as it was.
 */
export async function writeDump(target: Store, items: AsyncIterable<DumpItem>, opts: WriteOptions = {}): Promise<CollectionSummary[]> {
  try {
    return await writeDumpTx(target, items, opts)
  } catch (err) {
    if (err instanceof DryRunRollback) return err.summary
    throw err
  }
}

async function writeDumpTx(target: Store, items: AsyncIterable<DumpItem>, opts: WriteOptions): Promise<CollectionSummary[]> {
  const dialect = target.dialect
  return target.transaction(async (tx) => {
    await migrateSystemTables(tx, dialect)
    if (dialect.name === 'postgres') await tx.exec('SET LOCAL statement_timeout = 0')
    const defs: CollectionRow[] = []
    const params: ParamRow[] = []
    let byId: Map<string, Collection> | null = null
    const copied = new Map<string, number>()
    let counts: Record<string, number> | null = null
    let tables: Set<string> | null = null
    for await (const item of items) {
      if (counts) throw new Error('malformed dump: data after the end marker')
      if (item.type === 'collection' || item.type === 'param') {
        if (byId) throw new Error('malformed dump: definitions after records')
        if (item.type === 'collection') defs.push(item.row)
        else params.push(item.row)
        continue
      }
      byId ??= await prepareTarget(tx, dialect, defs, params, opts)
      if (item.type === 'end') { counts = item.counts; continue }
      if (item.type === 'rows') {
        tables ??= new Set(await listTables(tx, dialect))
        if (!tables.has(item.table)) throw new Error(`the target has no table ${item.table}: run a Basalt at least as new as the source's`)
        await insertRows(tx, dialect, item.table, item.rows)
        copied.set(tableKey(item.table), (copied.get(tableKey(item.table)) ?? 0) + item.rows.length)
        continue
      }
      const c = byId.get(item.collection)
      if (!c) throw new Error(`malformed dump: records of unknown collection ${JSON.stringify(item.collection)}`)
      await insertRecords(tx, dialect, c, item.records)
      copied.set(c.id, (copied.get(c.id) ?? 0) + item.records.length)
    }
    if (!counts || !byId) throw new Error('the dump is incomplete (no end marker): nothing was written')
    const summary: CollectionSummary[] = []
    const keys = new Set([...byId.keys(), ...Object.keys(counts), ...copied.keys()])
    for (const id of keys) {
      if (byId.get(id)?.type === 'view') continue
      const name = byId.get(id)?.name ?? (id.startsWith('table:') ? id.slice('table:'.length) : id)
      const target = byId.has(id) || tables?.has(name) ? await countRows(tx, dialect, name) : 0
      const s = { id, name, expected: counts[id] ?? -1, copied: copied.get(id) ?? 0, target }
      if (s.expected !== s.copied || s.target !== s.copied) {
        throw new Error(`count mismatch in ${name}: source ${s.expected}, copied ${s.copied}, target ${s.target}: nothing was written`)
      }
      summary.push(s)
    }
    if (opts.dryRun) throw new DryRunRollback(summary)
    return summary
  })
}

/** Empty bootstrap collections (what `migrate` creates) may be replaced; anything else is existing data. */
async function prepareTarget(tx: Executor, dialect: SqlDialect, defs: CollectionRow[], params: ParamRow[], opts: WriteOptions): Promise<Map<string, Collection>> {
  const incoming = defs.map(parseCollectionRow)
  const incomingIds = new Set(incoming.map((c) => c.id))
  const incomingNames = new Set(incoming.map((c) => c.name.toLowerCase()))
  const existing = (await tx.all<CollectionRow>(sql`SELECT * FROM "_collections"`)).map(parseCollectionRow)
  const kept: Collection[] = []
  const withData: string[] = []
  for (const c of existing) {
    // Bootstrap creates the system collections plus `users` (not flagged system: it is the app's to change).
    const fresh = (c.system || c.id === USERS_ID) && (await countRows(tx, dialect, c.name)) === 0
    if (fresh && (incomingIds.has(c.id) || incomingNames.has(c.name.toLowerCase()))) {
      await dropCollectionTable(tx, c, dialect)
      await tx.run(sql`DELETE FROM "_collections" WHERE "id" = ${c.id}`)
      continue
    }
    kept.push(c)
    if (!fresh) withData.push(c.name)
  }
  if (withData.length && !opts.force) {
    throw new Error(`the target is not empty (it has ${withData.join(', ')}): use a fresh database, or --force to add to it; nothing was written`)
  }
  for (const c of kept) {
    if (incomingIds.has(c.id) || incomingNames.has(c.name.toLowerCase())) {
      throw new Error(`the target already has collection ${c.name} (${c.id}): refusing to merge; nothing was written`)
    }
  }
  const byId = new Map<string, Collection>()
  for (let i = 0; i < incoming.length; i++) {
    const cols = COLLECTION_COLUMNS.map((k) => q(dialect, k))
    const vals = COLLECTION_COLUMNS.map((k) => sql`${defs[i][k] ?? null}`)
    await tx.run(sql`INSERT INTO "_collections" (${sql.join(cols)}) VALUES (${sql.join(vals)})`)
    if (incoming[i].type !== 'view') await createCollectionTable(tx, incoming[i], dialect)
    byId.set(incoming[i].id, incoming[i])
  }
  // Views last: they select from the tables above (and from earlier views, in creation order).
  for (const c of incoming) if (c.type === 'view') await createCollectionTable(tx, c, dialect)
  for (const p of params) {
    await tx.run(sql`DELETE FROM "_params" WHERE "id" = ${p.id}`)
    await tx.run(sql`INSERT INTO "_params" ("id", "value", "created", "updated") VALUES (${p.id}, ${p.value}, ${p.created ?? ''}, ${p.updated ?? ''})`)
  }
  return byId
}

/** Multi-row INSERTs; values go through the field codecs, so each engine gets its own spelling (0/1, JSON text). */
async function insertRecords(tx: Executor, dialect: SqlDialect, c: Collection, records: RecordData[]): Promise<void> {
  const cols = sql.join(c.fields.map((f) => q(dialect, f.name)))
  const perStatement = Math.max(1, Math.floor(MAX_PARAMS / c.fields.length))
  for (let i = 0; i < records.length; i += perStatement) {
    const rows: Sql[] = records.slice(i, i + perStatement).map((rec) => {
      const values = recordToDbValues(c, rec)
      return sql`(${sql.join(c.fields.map((f) => sql`${values.get(f.name) ?? null}`))})`
    })
    await tx.run(sql`INSERT INTO ${q(dialect, c.name)} (${cols}) VALUES ${sql.join(rows)}`)
  }
}

/** Bookkeeping rows as stored: their columns are plain TEXT/INTEGER on both engines. */
async function insertRows(tx: Executor, dialect: SqlDialect, table: string, rows: Row[]): Promise<void> {
  if (!rows.length) return
  const names = Object.keys(rows[0])
  const perStatement = Math.max(1, Math.floor(MAX_PARAMS / names.length))
  for (let i = 0; i < rows.length; i += perStatement) {
    const values = rows.slice(i, i + perStatement).map((r) => sql`(${sql.join(names.map((n) => sql`${(r[n] ?? null) as SqlValue}`))})`)
    await tx.run(sql`INSERT INTO ${q(dialect, table)} (${sql.join(names.map((n) => q(dialect, n)))}) VALUES ${sql.join(values)}`)
  }
}

/** Copies `source` into `target`: a frozen source view streamed into one target transaction. */
export async function transfer(source: Store, target: Store, opts: WriteOptions = {}): Promise<CollectionSummary[]> {
  return withSnapshot(source, (db) => writeDump(target, readDump(db, source.dialect), opts))
}

/** Re-counts the target after commit (a second, independent check of what a server will now see). */
export async function verifyTarget(target: Store, summary: CollectionSummary[]): Promise<CollectionSummary[]> {
  const out: CollectionSummary[] = []
  for (const s of summary) out.push({ ...s, target: await countRows(target, target.dialect, s.name) })
  return out
}

export function formatSummary(summary: CollectionSummary[]): string {
  const width = Math.max(10, ...summary.map((s) => s.name.length))
  const lines = summary.map((s) => `  ${s.name.padEnd(width)}  source ${String(s.expected).padStart(8)}  target ${String(s.target ?? s.copied).padStart(8)}  ${s.expected === (s.target ?? s.copied) ? 'ok' : 'MISMATCH'}`)
  return lines.join('\n')
}

export const summaryOk = (summary: CollectionSummary[]) => summary.every((s) => s.expected === (s.target ?? s.copied))
