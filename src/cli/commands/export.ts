// `basalt export --out=FILE`: dump the configured store (collections, settings, records) to a JSON Lines file.
import fs from 'node:fs'
import path from 'node:path'
import { openStore } from '../../app.ts'
import { fromEnv, resolveConfig, type Config } from '../../config.ts'
import { readDump, withSnapshot, writeDumpFile } from '../../store/transfer.ts'
import { parseArgs, UsageError } from '../args.ts'
import { storageNote } from './migrate.ts'

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
    console.log(`Exported ${Object.keys(counts).length} collections, ${records} records to ${path.resolve(out)}.`)
    storageNote(path.join(config.dataDir, 'storage'))
    return 0
  } finally {
    await store.close()
  }
}
