// `basalt migrate`: create/upgrade the configured store's schema, or copy a whole database to another store.
import fs from 'node:fs'
import path from 'node:path'
import { migrate, openStore } from '../../app.ts'
import { fromEnv, resolveConfig, type Config } from '../../config.ts'
import { systemClock } from '../../core/clock.ts'
import { CollectionService } from '../../core/collections/collection-service.ts'
import { PostgresStore } from '../../store/postgres-store.ts'
import { SqliteStore } from '../../store/sqlite-store.ts'
import { SCHEMA_VERSION } from '../../store/migrations.ts'
import { formatSummary, summaryOk, transfer, verifyTarget } from '../../store/transfer.ts'
import type { Store } from '../../store/types.ts'
import { parseArgs, UsageError } from '../args.ts'

export const MIGRATE_USAGE = `Usage: basalt migrate [--dir=DATA_DIR]
       basalt migrate --from=SOURCE --to=TARGET [--force]

  Without --from/--to: creates or upgrades the schema of the configured store (PostgreSQL when
  DATABASE_URL is set, else SQLite in the data dir) and exits. Safe to run from several nodes at once.

  With --from/--to: copies every collection (with its auth secrets), setting and record from SOURCE
  into TARGET in one transaction, then checks the record counts of every collection.
  SOURCE, TARGET: sqlite://PATH/data.db, sqlite://DATA_DIR, a plain path, or postgres://USER@HOST/DB
  --force  allow a TARGET that already has other collections (a duplicate still fails; nothing is merged)
  --dir    data directory (default ./basalt_data, env BASALT_DIR)

  Uploaded files are not in the database: copy DATA_DIR/storage to every node (or share it).`

export async function migrateCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { dir: 'string', from: 'string', to: 'string', force: 'boolean' })
  if (args.positionals.length) throw new UsageError(`unexpected argument ${JSON.stringify(args.positionals[0])}`)
  const from = args.flags.get('from') as string | undefined
  const to = args.flags.get('to') as string | undefined
  if (from || to) {
    if (!from || !to) throw new UsageError('--from and --to go together')
    if (args.flags.has('dir')) throw new UsageError('--dir does not apply to --from/--to (name the stores in the URLs)')
    return copyCommand(parseLocation(from, 'from'), parseLocation(to, 'to'), args.flags.has('force'))
  }
  if (args.flags.has('force')) throw new UsageError('--force only applies to --from/--to')
  const flags: Partial<Config> = args.flags.has('dir') ? { dataDir: String(args.flags.get('dir')) } : {}
  const config = resolveConfig(fromEnv(process.env), flags)
  if (!config.databaseUrl) fs.mkdirSync(config.dataDir, { recursive: true })
  const store = openStore(config)
  try {
    // The same advisory-locked migration `serve` runs at startup: concurrent runs apply it once.
    await migrate(store, new CollectionService(store, systemClock))
  } finally {
    await store.close()
  }
  const where = config.databaseUrl ? redact(config.databaseUrl) : path.join(config.dataDir, 'data.db')
  console.log(`Schema is up to date (version ${SCHEMA_VERSION}) in ${where}.`)
  return 0
}

export type Location = { kind: 'postgres'; url: string } | { kind: 'sqlite'; file: string }

/** postgres://… | sqlite://PATH | PATH, where a directory means its data.db. */
export function parseLocation(value: string, flag: string): Location {
  if (/^postgres(ql)?:\/\//.test(value)) {
    try { new URL(value) } catch { throw new UsageError(`--${flag}: invalid PostgreSQL URL`) }
    return { kind: 'postgres', url: value }
  }
  const p = value.startsWith('sqlite://') ? value.slice('sqlite://'.length) : value
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(p) || !p) throw new UsageError(`--${flag} must be sqlite://PATH, a path or postgres://…, got ${JSON.stringify(value)}`)
  const abs = path.resolve(p)
  const isDir = fs.existsSync(abs) && fs.statSync(abs).isDirectory()
  return { kind: 'sqlite', file: isDir ? path.join(abs, 'data.db') : abs }
}

export function describeLocation(l: Location): string {
  return l.kind === 'postgres' ? redact(l.url) : `sqlite://${l.file}`
}

/** Opens a store; a missing SQLite source is an error rather than a silently created empty database. */
export function openLocation(l: Location, role: 'source' | 'target'): Store {
  if (l.kind === 'postgres') return new PostgresStore({ connectionString: l.url, poolSize: 2, statementTimeoutMs: 0 })
  if (role === 'source' && !fs.existsSync(l.file)) throw new Error(`no Basalt database at ${l.file}`)
  fs.mkdirSync(path.dirname(l.file), { recursive: true })
  return new SqliteStore({ file: l.file })
}

async function copyCommand(from: Location, to: Location, force: boolean): Promise<number> {
  if (describeLocation(from) === describeLocation(to)) throw new UsageError('--from and --to name the same database')
  const source = openLocation(from, 'source')
  let target: Store | undefined
  try {
    target = openLocation(to, 'target')
    console.log(`Copying ${describeLocation(from)} -> ${describeLocation(to)}`)
    const copied = await transfer(source, target, { force })
    const summary = await verifyTarget(target, copied)
    console.log(formatSummary(summary))
    if (from.kind === 'sqlite') storageNote(path.join(path.dirname(from.file), 'storage'))
    if (!summaryOk(summary)) {
      console.error('basalt: record counts differ after the copy (was the target written to meanwhile?)')
      return 1
    }
    console.log(`Done: ${summary.length} collections and tables, ${summary.reduce((n, s) => n + s.expected, 0)} records copied and verified.`)
    return 0
  } finally {
    await source.close()
    await target?.close()
  }
}

/** Uploads stay on disk next to the source database; the new nodes need them too. */
export function storageNote(storageDir: string): void {
  const files = fs.existsSync(storageDir) ? fs.readdirSync(storageDir).length : 0
  console.log(files
    ? `Note: uploaded files are not in the database. Copy ${storageDir} to the data dir (storage/) of every node, or share it.`
    : `Note: uploaded files live in DATA_DIR/storage, not in the database (${storageDir} has none now); share or copy it if that changes.`)
}

export function redact(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return 'postgres://…'
  }
}
