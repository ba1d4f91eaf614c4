// `basalt export --out=FILE`: dump the configured store (collections, settings, records) to a JSON Lines file.
import fs from 'node:fs'
import { once } from 'node:events'
import path from 'node:path'
import { openStore } from '../../app.ts'
import { fromEnv, resolveConfig, type Config } from '../../config.ts'
import { SCHEMA_VERSION } from '../../store/migrations.ts'
import { readDump, withSnapshot, type DumpItem } from '../../store/transfer.ts'
import { parseArgs, UsageError } from '../args.ts'
import { storageNote } from './migrate.ts'

/** The dump file: JSON Lines, one header, one line per definition / record, bookkeeping rows in batches, one end line. */
export const DUMP_FORMAT = 'basalt-dump'
export const DUMP_VERSION = 1

export const EXPORT_USAGE = `Usage: basalt export --out=FILE [--dir=DATA_DIR]

  Writes every collection (with its auth secrets: keep the file private), setting and record of the
  configured store (PostgreSQL when DATABASE_URL is set, else SQLite in the data dir) to FILE as
  JSON Lines. Read it back with "basalt import FILE". Uploaded files (DATA_DIR/storage) are not included.
  --out    file to write (replaced only once the export is complete)
  --dir    data directory (default ./basalt_data, env BASALT_DIR)`

export async function exportCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { dir: 'string', out: 'string' })
  if (args.positionals.length) throw new UsageError(`unexpected argument ${JSON.stringify(args.positionals[0])}`)
  const out = args.flags.get('out')
  if (typeof out !== 'string') throw new UsageError('--out=FILE is required')
  const flags: Partial<Config> = args.flags.has('dir') ? { dataDir: String(args.flags.get('dir')) } : {}
  const config = resolveConfig(fromEnv(process.env), flags)
  // Opening SQLite would create an empty database; an export of nothing is a mistake worth reporting.
  if (!config.databaseUrl && !fs.existsSync(path.join(config.dataDir, 'data.db'))) throw new Error(`no Basalt database in ${config.dataDir}`)
  const store = openStore(config)
  try {
    const counts = await withSnapshot(store, (db) => writeDumpFile(path.resolve(out), readDump(db, store.dialect)))
    const records = Object.values(counts).reduce((n, c) => n + c, 0)
    console.log(`Exported ${Object.keys(counts).length} collections and tables, ${records} records to ${path.resolve(out)}.`)
    storageNote(path.join(config.dataDir, 'storage'))
    return 0
  } finally {
    await store.close()
  }
}

/** Writes to FILE.partial and renames on success, so a failed export never looks complete. */
export async function writeDumpFile(file: string, items: AsyncIterable<DumpItem>): Promise<Record<string, number>> {
  const partial = `${file}.partial`
  // Owner-only: the dump holds password hashes and token secrets.
  const out = fs.createWriteStream(partial, { mode: 0o600 })
  let failed: Error | null = null
  out.on('error', (e) => { failed ??= e }) // e.g. ENOSPC: reported by the next write instead of crashing
  const write = async (obj: unknown) => {
    if (failed) throw failed
    if (!out.write(JSON.stringify(obj) + '\n')) await once(out, 'drain')
  }
  try {
    await write({ format: DUMP_FORMAT, version: DUMP_VERSION, schemaVersion: SCHEMA_VERSION, created: new Date().toISOString() })
    let counts: Record<string, number> = {}
    for await (const item of items) {
      if (item.type === 'records') for (const data of item.records) await write({ type: 'record', collection: item.collection, data })
      else await write(item)
      if (item.type === 'end') counts = item.counts
    }
    out.end()
    await once(out, 'finish')
    if (failed) throw failed
    fs.renameSync(partial, file)
    return counts
  } catch (err) {
    out.destroy()
    fs.rmSync(partial, { force: true })
    throw err
  }
}
