// `basalt import-pocketbase PB_DATA_DIR`: moves a PocketBase (v0.23+) app into the configured store, in one transaction.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { openStore } from '../../app.ts'
import { fromEnv, resolveConfig, type Config } from '../../config.ts'
import { LocalFileStorage } from '../../files/local-storage.ts'
import { formatSummary, summaryOk, verifyTarget, writeDump, type CollectionSummary } from '../../store/transfer.ts'
import { parseArgs, UsageError } from '../args.ts'
import { copyFiles, noteMissingFiles, planFiles, removeFiles } from './import-pocketbase-files.ts'
import { copyPbLogs, countPbLogs, openPbLogs } from './import-pocketbase-logs.ts'
import { openPocketBase, readPocketBase, type PbReport } from './import-pocketbase-source.ts'

export const IMPORT_POCKETBASE_USAGE = `Usage: basalt import-pocketbase PB_DATA_DIR [--dir=DATA_DIR] [--force] [--dry-run]

  Moves a PocketBase (v0.23 or newer) app into Basalt: every collection with its id, fields, indexes,
  rules and auth options (token secrets included, so tokens PocketBase issued stay valid), every record
  with its id and dates, superusers, external auths, settings, the uploaded files with their
  thumbnails, and the request logs. Passwords keep working (PocketBase's bcrypt hashes become argon2id at the first login).
  The target is PostgreSQL when DATABASE_URL is set, else SQLite in the data dir. One transaction:
  on any error nothing is written. Prints counts and everything not carried, with the reason.
  Stop PocketBase first (or import from a copy of pb_data).
  --dir      data directory (default ./basalt_data, env BASALT_DIR); uploaded files go to DATA_DIR/storage
  --force    allow a store that already has collections with data (a duplicate still fails)
  --dry-run  read, write and check everything, then roll back: nothing is written
  See docs/migrating-from-pocketbase.md.`

export interface PbImportOptions { pbDir: string; config: Config; force?: boolean; dryRun?: boolean }

export interface PbImportResult {
  /** Collections carried (views included; they hold no rows, so the summary leaves them out). */
  collections: { total: number; views: number }
  summary: CollectionSummary[]
  files: { originals: number; thumbs: number; copied: number }
  /** Request logs in auxiliary.db, and how many were copied (after the data committed). */
  logs: { source: number; copied: number }
  report: PbReport
}

export async function importPocketbaseCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { dir: 'string', force: 'boolean', 'dry-run': 'boolean' })
  const [pbDir, ...extra] = args.positionals
  if (!pbDir) throw new UsageError('missing PB_DATA_DIR')
  if (extra.length) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`)
  const flags: Partial<Config> = args.flags.has('dir') ? { dataDir: String(args.flags.get('dir')) } : {}
  const config = resolveConfig(fromEnv(process.env), flags)
  const dryRun = args.flags.has('dry-run')
  const result = await importPocketbase({ pbDir, config, force: args.flags.has('force'), dryRun })
  console.log(formatReport(result, dryRun))
  if (!summaryOk(result.summary)) {
    console.error('basalt: record counts differ after the import (was the store written to meanwhile?)')
    return 1
  }
  return 0
}

/** The whole import; throws (after undoing any copied file) when anything fails, so the target is left as it was. */
export async function importPocketbase(opts: PbImportOptions): Promise<PbImportResult> {
  const { pbDir, dryRun = false } = opts
  if (!fs.existsSync(pbDir) || !fs.statSync(pbDir).isDirectory()) throw new Error(`no such directory: ${pbDir}`)
  // PocketBase's data.db would be opened as the target: Basalt's tables written into PocketBase's file.
  if (!opts.config.databaseUrl && path.resolve(pbDir) === path.resolve(opts.config.dataDir)) {
    throw new Error('the Basalt data dir (--dir) must not be the PocketBase data dir: choose a new directory')
  }
  const source = openPocketBase(pbDir)
  const aux = openPbLogs(pbDir)
  try {
    const pb = readPocketBase(source)
    noteOutsideData(pbDir, pb.report)
    const entries = planFiles(pbDir, new Set(pb.collections.map((c) => c.id)), pb.report)
    noteMissingFiles(source, pb.collections, entries, pb.report)
    const files = { originals: entries.filter((e) => !e.thumb).length, thumbs: entries.filter((e) => e.thumb).length, copied: 0 }
    // A dry run against a SQLite data dir that does not exist yet checks against a throwaway one:
    // even an empty data.db would be "something written".
    const scratch = dryRun && !opts.config.databaseUrl && !fs.existsSync(path.join(opts.config.dataDir, 'data.db'))
      ? fs.mkdtempSync(path.join(os.tmpdir(), 'basalt-pb-dry-run-')) : null
    const config = scratch ? { ...opts.config, dataDir: scratch } : opts.config
    if (!config.databaseUrl) fs.mkdirSync(config.dataDir, { recursive: true })
    const store = openStore(config)
    try {
      const storage = new LocalFileStorage(path.join(config.dataDir, 'storage'))
      // Files first, rows second: a failed row import takes the copied files back out, whereas files
      // copied after a commit could fail halfway and leave records pointing at nothing.
      const written = dryRun ? [] : await copyFiles(entries, storage, pb.report)
      let summary: CollectionSummary[]
      try {
        summary = await writeDump(store, pb.items(), { force: opts.force, dryRun })
      } catch (err) {
        await removeFiles(storage, written)
        throw err
      }
      files.copied = written.length
      if (!dryRun) summary = await verifyTarget(store, summary)
      const logs = { source: aux ? countPbLogs(aux) : 0, copied: 0 }
      if (aux && !dryRun) {
        try {
          logs.copied = await copyPbLogs(aux, config, store)
        } catch (err) {
          pb.report.warnings.push(`request logs were not copied (${(err as Error).message}); the import itself is complete`)
        }
      }
      const collections = { total: pb.collections.length, views: pb.collections.filter((c) => c.type === 'view').length }
      return { collections, summary, files, logs, report: pb.report }
    } finally {
      await store.close()
      if (scratch) fs.rmSync(scratch, { recursive: true, force: true })
    }
  } finally {
    source.close()
    aux?.close()
  }
}

/** What lives in pb_data besides data.db and storage/: reported, never read further. */
function noteOutsideData(pbDir: string, report: PbReport): void {
  const backups = path.join(pbDir, 'backups')
  if (fs.existsSync(backups) && fs.readdirSync(backups).some((n) => n.endsWith('.zip'))) {
    report.notCarried.push({ what: 'backups/*.zip', reason: 'PocketBase backup archives hold a PocketBase data dir; keep them, or import one with this command after unzipping it' })
  }
}

export function formatReport(r: PbImportResult, dryRun: boolean): string {
  const lines = [formatSummary(r.summary)]
  const records = r.summary.reduce((n, s) => n + s.expected, 0)
  const views = r.collections.views ? ` (${r.collections.views} view${r.collections.views === 1 ? '' : 's'})` : ''
  lines.push(`${dryRun ? 'Would import' : 'Imported'} ${r.collections.total} collections${views}, ${records} records; files: ${r.files.originals} uploaded + ${r.files.thumbs} thumbnails${dryRun ? '' : ` (${r.files.copied} copied)`}.`)
  if (r.logs.source) lines.push(`Request logs: ${r.logs.source}${dryRun ? '' : ` (${r.logs.copied} copied)`}.`)
  if (r.report.notCarried.length) {
    lines.push('Not carried:')
    for (const n of r.report.notCarried) lines.push(`  - ${n.what}: ${n.reason}`)
  }
  if (r.report.warnings.length) {
    lines.push('Warnings (carried as they are; check them):')
    for (const w of r.report.warnings) lines.push(`  - ${w}`)
  }
  if (dryRun) lines.push('Dry run: everything was checked and rolled back; nothing was written.')
  return lines.join('\n')
}
