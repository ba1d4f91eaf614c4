// What a backup holds: consistent snapshots of data.db and auxiliary.db, then the files under storage/.
import { existsSync } from 'node:fs'
import { open, readdir } from 'node:fs/promises'
import path from 'node:path'
import { snapshotSqlite } from './snapshot.ts'
import type { ZipEntry } from './zip-writer.ts'

/** The data-dir items a backup contains and a restore replaces (PocketBase's layout). */
export const DB_FILES = ['data.db', 'auxiliary.db'] as const
export const STORAGE_DIR = 'storage'

/** Snapshots the databases into `tmpDir` first (so the archive is one point in time), then lists the entries. */
export async function* backupEntries(dataDir: string, tmpDir: string): AsyncGenerator<ZipEntry> {
  const snapshots: string[] = []
  for (const name of DB_FILES) {
    if (!existsSync(path.join(dataDir, name))) continue
    await snapshotSqlite(path.join(dataDir, name), path.join(tmpDir, name))
    snapshots.push(name)
  }
  for (const name of snapshots) {
    const entry = await fileEntry(path.join(tmpDir, name), name)
    if (entry) yield entry
  }
  yield* storageEntries(path.join(dataDir, STORAGE_DIR), STORAGE_DIR)
}

/** Uploaded files are written once under fresh names, so copying them after the snapshot is safe; a file deleted meanwhile is skipped. */
async function* storageEntries(dir: string, prefix: string): AsyncGenerator<ZipEntry> {
  let items
  try { items = await readdir(dir, { withFileTypes: true }) } catch { return }
  items.sort((a, b) => a.name.localeCompare(b.name))
  for (const it of items) {
    if (it.name.startsWith('.')) continue // in-progress writes (LocalFileStorage temp files)
    const full = path.join(dir, it.name)
    if (it.isDirectory()) yield* storageEntries(full, `${prefix}/${it.name}`)
    else if (it.isFile()) {
      const entry = await fileEntry(full, `${prefix}/${it.name}`)
      if (entry) yield entry
    }
  }
}

async function fileEntry(file: string, name: string): Promise<ZipEntry | null> {
  let fh
  try { fh = await open(file, 'r') } catch { return null }
  const st = await fh.stat()
  return { name, size: st.size, mtime: st.mtime, data: () => fh.createReadStream({ autoClose: true }) }
}
