// Restores: unpack and check an archive beside the data (nothing changes on failure), then swap it in at the next start.
import { existsSync } from 'node:fs'
import { mkdir, rename, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import Database from 'better-sqlite3'
import { assertValidKey } from '../files/storage.ts'
import { DB_FILES, STORAGE_DIR } from './archive.ts'
import { extractEntry, listZip, ZipFormatError } from './zip-reader.ts'

/** The staged restore, applied by `applyStagedRestore` when the app (re)starts. */
export const STAGED_DIR = '.restore'
const READY = 'READY'
const OLD_DIR = '.restore-old'
const MOVED = 'MOVED'
/** Everything a restore replaces (SQLite's -wal/-shm go with their database: a stale WAL must never meet a new file). */
const REPLACED = [...DB_FILES.flatMap((f) => [f, `${f}-wal`, `${f}-shm`]), STORAGE_DIR]

/** Which archive entries are restored; anything else in the archive (e.g. PocketBase's `types.d.ts`) is ignored. */
function target(name: string): string | null {
  if ((DB_FILES as readonly string[]).includes(name)) return name
  if (!name.startsWith(`${STORAGE_DIR}/`) || name.endsWith('/')) return null
  try { assertValidKey(name.slice(STORAGE_DIR.length + 1)) } catch { throw new ZipFormatError(`unsafe path ${JSON.stringify(name.slice(0, 200))}`) }
  return name
}

/** Throws unless `file` is an intact SQLite database with Basalt's bookkeeping tables. */
function checkDatabase(file: string): void {
  let db
  try {
    db = new Database(file, { readonly: true, fileMustExist: true })
    const check = db.pragma('quick_check', { simple: true })
    if (check !== 'ok') throw new Error(String(check))
    const t = db.prepare(`SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name IN ('_collections', '_params')`).get() as { n: number }
    if (t.n !== 2) throw new Error('no _collections/_params tables')
  } catch (err) {
    throw new ZipFormatError(`data.db is not a usable Basalt database (${(err as Error).message})`)
  } finally {
    db?.close()
  }
}

/**
 * Unpacks `zipFile` into `<dataDir>/.restore` and marks it ready. Every entry is CRC-checked and data.db
 * must pass SQLite's quick_check; on any failure the staging dir is removed and the live data is untouched.
 */
export async function stageRestore(zipFile: string, dataDir: string, workDir: string): Promise<void> {
  const staging = path.join(workDir, 'unpacked')
  try {
    const entries = await listZip(zipFile)
    const names = new Set<string>()
    for (const e of entries) {
      const name = target(e.name)
      if (!name) continue
      if (names.has(name)) throw new ZipFormatError(`duplicate entry ${JSON.stringify(name)}`)
      names.add(name)
      const dest = path.join(staging, ...name.split('/'))
      await mkdir(path.dirname(dest), { recursive: true })
      await extractEntry(zipFile, e, dest)
    }
    if (!names.has('data.db')) throw new ZipFormatError('the archive has no data.db')
    checkDatabase(path.join(staging, 'data.db'))
    await rm(path.join(dataDir, STAGED_DIR), { recursive: true, force: true })
    await rename(staging, path.join(dataDir, STAGED_DIR))
    await writeFile(path.join(dataDir, STAGED_DIR, READY), new Date().toISOString(), { flush: true })
  } finally {
    await rm(staging, { recursive: true, force: true })
  }
}

export const hasStagedRestore = (dataDir: string) => existsSync(path.join(dataDir, STAGED_DIR, READY))

/**
 * Swaps a staged restore in, before any database is opened. Each step is a rename and the steps are
 * ordered so that a crash at any point resumes correctly on the next start: (1) move the current items
 * to `.restore-old` and mark it MOVED, (2) move the staged items in, (3) drop the markers and old data.
 */
export async function applyStagedRestore(dataDir: string): Promise<boolean> {
  if (!hasStagedRestore(dataDir)) return false
  const staged = path.join(dataDir, STAGED_DIR)
  const old = path.join(dataDir, OLD_DIR)
  if (!existsSync(path.join(old, MOVED))) {
    await mkdir(old, { recursive: true })
    for (const item of REPLACED) {
      if (existsSync(path.join(dataDir, item))) await rename(path.join(dataDir, item), path.join(old, item))
    }
    await writeFile(path.join(old, MOVED), '', { flush: true })
  }
  for (const item of REPLACED) {
    if (existsSync(path.join(staged, item))) await rename(path.join(staged, item), path.join(dataDir, item))
  }
  await rm(path.join(staged, READY), { force: true })
  await rm(staged, { recursive: true, force: true })
  await rm(old, { recursive: true, force: true })
  return true
}
