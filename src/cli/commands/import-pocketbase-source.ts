// Reads a PocketBase (v0.23+) data.db and turns it into the dump items `basalt import` writes, noting what is not carried.
import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import { parseCollectionRow, type CollectionRow } from '../../core/collections/collection-row.ts'
import { validateCollection } from '../../core/collections/collection-validate.ts'
import { fieldKind } from '../../core/collections/fields/index.ts'
import { parseIndex } from '../../core/collections/indexes.ts'
import type { Collection, SchemaLookup } from '../../core/collections/types.ts'
import { rowToRecord } from '../../core/records/record-io.ts'
import { sqliteDialect } from '../../store/dialects/sqlite.ts'
import { BATCH_SIZE, type DumpItem, type ParamRow } from '../../store/transfer.ts'
import { ErrorCode } from '../../core/error-codes.ts'
import { pbSettingsParam } from './import-pocketbase-settings.ts'

/** One thing the import leaves behind, with the reason (printed in the report and the docs). */
export interface NotCarried { what: string; reason: string }

export interface PbReport {
  notCarried: NotCarried[]
  /** Carried, but worth a look (e.g. a rule Basalt's validator rejects). */
  warnings: string[]
}

/**
 * PocketBase system collections that Basalt keeps elsewhere or not at all. Their rows are short-lived
 * sign-in state, so nothing a user would notice is lost: a pending MFA/OTP login is simply started again.
 */
const SKIPPED_COLLECTIONS: Record<string, string> = {
  _mfas: 'pending multi-factor logins (they expire within minutes); Basalt keeps them in its own table',
  _otps: 'pending one-time passwords (they expire within minutes); Basalt keeps them in its own table',
}

/** PocketBase writes JSON columns through Go's []byte, which SQLite may hold as BLOB: read every value as text. */
function textValues(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(row)) out[k] = Buffer.isBuffer(v) ? v.toString('utf8') : v
  return out
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`

/** Opens `PB_DATA_DIR/data.db` read-only, refusing anything that is not a PocketBase v0.23+ database. */
export function openPocketBase(dir: string): Database.Database {
  const file = path.join(dir, 'data.db')
  if (!fs.existsSync(file)) throw new Error(`${dir} is not a PocketBase data directory (no data.db)`)
  const db = new Database(file, { readonly: true, fileMustExist: true })
  try {
    const cols = (db.prepare(`SELECT "name" FROM pragma_table_info('_collections')`).all() as { name: string }[]).map((c) => c.name)
    if (!cols.length) throw new Error(`${file} has no _collections table: not a PocketBase database`)
    if (cols.includes('schema') && !cols.includes('fields')) {
      throw new Error(`${file} is from PocketBase older than v0.23: start it once with PocketBase v0.23 or newer (it upgrades the data), then import`)
    }
    for (const c of ['id', 'type', 'name', 'fields', 'indexes', 'options']) {
      if (!cols.includes(c)) throw new Error(`${file}: _collections has no "${c}" column: not a PocketBase v0.23+ database`)
    }
    return db
  } catch (err) {
    db.close()
    throw err
  }
}

export interface PbSource {
  /** Collections carried, in PocketBase's creation order. */
  collections: Collection[]
  items: () => AsyncGenerator<DumpItem>
  report: PbReport
  /** Rows per carried collection, counted before anything is copied. */
  counts: Record<string, number>
}

/** Reads definitions, settings and counts now; records stream later from `items()`. */
export function readPocketBase(db: Database.Database, batchSize = BATCH_SIZE): PbSource {
  const report: PbReport = { notCarried: [], warnings: [] }
  const rows = (db.prepare(`SELECT * FROM "_collections" ORDER BY "created", "id"`).all() as Record<string, unknown>[]).map(textValues)
  const defs: CollectionRow[] = []
  const collections: Collection[] = []
  for (const raw of rows) {
    const name = String(raw.name)
    if (SKIPPED_COLLECTIONS[name]) {
      report.notCarried.push({ what: `${name} (${countOf(db, name)} rows)`, reason: SKIPPED_COLLECTIONS[name] })
      continue
    }
    const row = collectionRow(raw, report)
    defs.push(row)
    collections.push(parseCollectionRow(row))
  }
  checkCollections(collections, report)
  const counts: Record<string, number> = {}
  for (const c of collections) if (c.type !== 'view') counts[c.id] = countOf(db, c.name, rowFilter(c))
  const installers = countOf(db, '_superusers', `"email" = '${INSTALLER_EMAIL}'`, true)
  if (installers) {
    report.notCarried.push({ what: `superuser ${INSTALLER_EMAIL}`, reason: 'PocketBase\'s first-run installer placeholder (random password, nobody logs in with it); create superusers with "basalt superuser upsert" if none was carried' })
  }
  const params = readParams(db, report)
  noteOtherData(db, report)

  async function* items(): AsyncGenerator<DumpItem> {
    for (const row of defs) yield { type: 'collection', row }
    for (const p of params) yield { type: 'param', row: p }
    for (const c of collections) {
      if (c.type === 'view') continue
      // Keyset pagination on SQLite's rowid: PocketBase's insertion order, O(n) overall.
      const page = db.prepare(`SELECT rowid AS "__pos", * FROM ${quote(c.name)} WHERE rowid > ? AND (${rowFilter(c)}) ORDER BY rowid LIMIT ?`)
      let after = -1
      for (;;) {
        const got = page.all(after, batchSize) as Record<string, unknown>[]
        if (!got.length) break
        after = Number(got[got.length - 1].__pos)
        yield { type: 'records', collection: c.id, records: got.map((r) => rowToRecord(c, textValues(r))) }
        if (got.length < batchSize) break
      }
    }
    yield { type: 'end', counts }
  }
  return { collections, items, report, counts }
}

/** PocketBase (v0.23+) seeds this superuser on a fresh install and deletes it once a real one exists. */
const INSTALLER_EMAIL = '__pbinstaller@example.com'

/** Rows left behind inside a carried collection (a constant SQL condition, no user input). */
function rowFilter(c: Collection): string {
  return c.name === '_superusers' && c.fields.some((f) => f.name === 'email') ? `"email" != '${INSTALLER_EMAIL}'` : '1 = 1'
}

function countOf(db: Database.Database, table: string, where = '1 = 1', optional = false): number {
  try {
    return Number((db.prepare(`SELECT COUNT(*) AS "n" FROM ${quote(table)} WHERE ${where}`).get() as { n: number }).n)
  } catch {
    if (optional) return 0
    throw new Error(`PocketBase collection ${table} has no table in data.db: the data directory is damaged; nothing was written`)
  }
}

/**
 * A `_collections` row as Basalt stores it. The layouts are the same (Basalt keeps PocketBase's
 * collection JSON), so this only drops what Basalt cannot hold: fields of a type it does not know
 * and index definitions it cannot parse, each reported.
 */
function collectionRow(raw: Record<string, unknown>, report: PbReport): CollectionRow {
  const name = String(raw.name)
  let fields: unknown
  let indexes: unknown
  try {
    fields = JSON.parse(String(raw.fields ?? '[]'))
    indexes = JSON.parse(String(raw.indexes ?? '[]'))
  } catch {
    throw new Error(`PocketBase collection ${name}: its fields or indexes are not valid JSON; nothing was written`)
  }
  const keptFields = (Array.isArray(fields) ? fields : []).filter((f: { name?: unknown; type?: unknown }) => {
    if (fieldKind(String(f?.type))) return true
    report.notCarried.push({ what: `${name}.${String(f?.name)} (field type ${JSON.stringify(f?.type)})`, reason: 'Basalt has no such field type; the column is left out' })
    return false
  })
  const keptIndexes = (Array.isArray(indexes) ? indexes : []).filter((text: unknown) => {
    if (typeof text === 'string' && typeof parseIndex(text) !== 'string') return true
    report.notCarried.push({ what: `${name} index ${JSON.stringify(text)}`, reason: 'Basalt cannot parse this index definition (expressions are not supported); recreate it by hand if needed' })
    return false
  })
  return {
    id: String(raw.id), system: Number(raw.system) ? 1 : 0, type: String(raw.type ?? 'base'), name,
    fields: JSON.stringify(keptFields), indexes: JSON.stringify(keptIndexes),
    listRule: rule(raw.listRule), viewRule: rule(raw.viewRule), createRule: rule(raw.createRule),
    updateRule: rule(raw.updateRule), deleteRule: rule(raw.deleteRule),
    options: String(raw.options ?? '{}'), created: String(raw.created ?? ''), updated: String(raw.updated ?? ''),
  }
}

const rule = (v: unknown) => (v === null || v === undefined ? null : String(v))

/**
 * Runs Basalt's collection validator over the imported set. An invalid or duplicate id or name is
 * fatal (tables, storage keys and rules are all addressed by them); anything else is reported and
 * carried, since PocketBase accepted it.
 */
function checkCollections(collections: Collection[], report: PbReport): void {
  for (const c of collections) {
    const others: SchemaLookup = {
      find: (idOrName) => collections.find((o) => o !== c && (o.id === idOrName || o.name.toLowerCase() === idOrName.toLowerCase())),
      all: () => collections.filter((o) => o !== c),
    }
    const errors = validateCollection(c, undefined, others, sqliteDialect)
    if (collections.some((o) => o !== c && o.id === c.id)) errors.id = { code: ErrorCode.notUnique, message: 'Duplicated collection id.' }
    for (const key of ['id', 'name'] as const) {
      const err = errors[key] as { message?: string } | undefined
      if (err) throw new Error(`PocketBase collection ${JSON.stringify(c.name.slice(0, 100))} (id ${JSON.stringify(c.id.slice(0, 100))}): invalid ${key}: ${err.message ?? 'invalid'}; nothing was written`)
    }
    for (const [key, err] of Object.entries(errors)) {
      report.warnings.push(`collection ${c.name}: ${key}: ${JSON.stringify(err).slice(0, 300)}`)
    }
  }
}

function readParams(db: Database.Database, report: PbReport): ParamRow[] {
  const out: ParamRow[] = []
  const rows = (db.prepare(`SELECT * FROM "_params" ORDER BY "id"`).all() as Record<string, unknown>[]).map(textValues)
  for (const row of rows) {
    if (row.id === 'settings') {
      const p = pbSettingsParam(row, report)
      if (p) out.push(p)
      continue
    }
    report.notCarried.push({ what: `_params ${JSON.stringify(row.id)}`, reason: 'not a setting Basalt knows' })
  }
  return out
}

/** Tables outside the collections that PocketBase keeps: listed in the report, not copied. */
function noteOtherData(db: Database.Database, report: PbReport): void {
  const tables = new Set((db.prepare(`SELECT "name" FROM sqlite_master WHERE "type" = 'table'`).all() as { name: string }[]).map((t) => t.name))
  if (tables.has('_migrations')) {
    report.notCarried.push({ what: '_migrations', reason: 'PocketBase\'s applied-migrations journal; Basalt versions its schema itself, and pb_migrations JS files do not run in Basalt' })
  }
}

