// `basalt import FILE`: load a `basalt export` file into the configured store, in one transaction, verified.
import fs from 'node:fs'
import readline from 'node:readline'
import { openStore } from '../../app.ts'
import { fromEnv, resolveConfig, type Config } from '../../config.ts'
import type { RecordData } from '../../rules/request-info.ts'
import { BATCH_SIZE, formatSummary, summaryOk, verifyTarget, writeDump, type DumpItem } from '../../store/transfer.ts'
import { DUMP_FORMAT, DUMP_VERSION } from './export.ts'
import { parseArgs, UsageError } from '../args.ts'

export const IMPORT_USAGE = `Usage: basalt import FILE [--dir=DATA_DIR] [--force]

  Loads a "basalt export" file into the configured store (PostgreSQL when DATABASE_URL is set, else
  SQLite in the data dir) in one transaction: on any error nothing is written. Refuses a store that
  already has collections other than the empty built-in ones.
  --force  allow a store that already has other collections (a duplicate still fails; nothing is merged)
  --dir    data directory (default ./basalt_data, env BASALT_DIR)`

export async function importCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { dir: 'string', force: 'boolean' })
  const [file, ...extra] = args.positionals
  if (!file) throw new UsageError('missing FILE')
  if (extra.length) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`)
  if (!fs.existsSync(file)) throw new Error(`no such file: ${file}`)
  const flags: Partial<Config> = args.flags.has('dir') ? { dataDir: String(args.flags.get('dir')) } : {}
  const config = resolveConfig(fromEnv(process.env), flags)
  if (!config.databaseUrl) fs.mkdirSync(config.dataDir, { recursive: true })
  const store = openStore(config)
  try {
    const summary = await verifyTarget(store, await writeDump(store, readDumpFile(file), { force: args.flags.has('force') }))
    console.log(formatSummary(summary))
    if (!summaryOk(summary)) {
      console.error('basalt: record counts differ after the import (was the store written to meanwhile?)')
      return 1
    }
    console.log(`Imported ${summary.length} collections and tables, ${summary.reduce((n, s) => n + s.expected, 0)} records.`)
    console.log('Note: uploaded files are not in the export: copy the old DATA_DIR/storage to this data dir (or share it).')
    return 0
  } finally {
    await store.close()
  }
}

/** Reads a dump file back into DumpItems, regrouping record lines into batches. */
export async function* readDumpFile(file: string, batchSize = BATCH_SIZE): AsyncGenerator<DumpItem> {
  const lines = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity })
  let header = false
  let batch: { collection: string; records: RecordData[] } | null = null
  let n = 0
  for await (const line of lines) {
    n++
    if (!line.trim()) continue
    let obj: Record<string, unknown>
    try { obj = JSON.parse(line) } catch { throw new Error(`${file}:${n}: not valid JSON`) }
    if (!header) {
      if (obj.format !== DUMP_FORMAT) throw new Error(`${file} is not a Basalt export (missing "${DUMP_FORMAT}" header)`)
      if (obj.version !== DUMP_VERSION) throw new Error(`${file}: unsupported export version ${JSON.stringify(obj.version)}`)
      header = true
      continue
    }
    if (obj.type === 'record') {
      const collection = String(obj.collection)
      if (batch && (batch.collection !== collection || batch.records.length >= batchSize)) { yield { type: 'records', ...batch }; batch = null }
      batch ??= { collection, records: [] }
      batch.records.push(obj.data as RecordData)
      continue
    }
    if (batch) { yield { type: 'records', ...batch }; batch = null }
    if (obj.type === 'collection' || obj.type === 'param' || obj.type === 'rows' || obj.type === 'end') yield obj as DumpItem
    else throw new Error(`${file}:${n}: unknown line type ${JSON.stringify(obj.type)}`)
  }
  if (!header) throw new Error(`${file} is empty`)
  if (batch) yield { type: 'records', ...batch }
}
