// Uploaded files of a PocketBase data dir (`storage/<collectionId>/<recordId>/…`, thumbs included) → Basalt's storage, same keys.
import fs from 'node:fs'
import path from 'node:path'
import { assertValidKey, type FileStorage } from '../../files/storage.ts'
import type Database from 'better-sqlite3'
import type { Collection } from '../../core/collections/types.ts'
import type { PbReport } from './import-pocketbase-source.ts'

export interface FileEntry { key: string; source: string; thumb: boolean }

/**
 * Lists what to copy. Basalt's storage layout is PocketBase's (`<collectionId>/<recordId>/<name>`,
 * thumbs in `thumbs_<name>/<WxH>_<name>`), so keys carry over unchanged. Anything else (files of
 * collections not imported, symlinks, names Basalt's key rules refuse) is reported and skipped.
 */
export function planFiles(pbDir: string, carried: Set<string>, report: PbReport): FileEntry[] {
  const root = path.join(pbDir, 'storage')
  if (!fs.existsSync(root)) return []
  const out: FileEntry[] = []
  const skip = (what: string, reason: string) => report.notCarried.push({ what: `storage/${what}`, reason })
  for (const collectionId of sorted(root)) {
    const cdir = path.join(root, collectionId)
    if (!isDir(cdir)) { skip(collectionId, 'not a collection directory'); continue }
    if (!carried.has(collectionId)) { skip(`${collectionId}/`, 'no imported collection has this id'); continue }
    for (const recordId of sorted(cdir)) {
      const rdir = path.join(cdir, recordId)
      if (!isDir(rdir)) { skip(`${collectionId}/${recordId}`, 'not a record directory'); continue }
      for (const name of sorted(rdir)) {
        const p = path.join(rdir, name)
        const st = fs.lstatSync(p)
        if (st.isDirectory() && name.startsWith('thumbs_')) {
          for (const t of sorted(p)) add(out, `${collectionId}/${recordId}/${name}/${t}`, path.join(p, t), true, skip)
        } else {
          add(out, `${collectionId}/${recordId}/${name}`, p, false, skip)
        }
      }
    }
  }
  return out
}

function add(out: FileEntry[], key: string, source: string, thumb: boolean, skip: (what: string, reason: string) => void): void {
  const st = fs.lstatSync(source)
  if (!st.isFile()) { skip(key, st.isSymbolicLink() ? 'a symbolic link' : 'not a regular file'); return }
  try {
    assertValidKey(key)
  } catch {
    skip(key, 'the name is not a valid Basalt storage key')
    return
  }
  out.push({ key, source, thumb })
}

const sorted = (dir: string) => fs.readdirSync(dir).filter((n) => !n.startsWith('.')).sort()
const isDir = (p: string) => fs.lstatSync(p).isDirectory()

/**
 * Copies the files, never over an existing key (reported instead). Returns the keys written, so a
 * failed database import can take them back out: files and rows are not one transaction.
 */
export async function copyFiles(entries: FileEntry[], storage: FileStorage, report: PbReport): Promise<string[]> {
  const written: string[] = []
  try {
    for (const e of entries) {
      if (await storage.stat(e.key)) { report.notCarried.push({ what: `storage/${e.key}`, reason: 'the target already has a file under this key; kept the target\'s' }); continue }
      await storage.put(e.key, fs.createReadStream(e.source))
      written.push(e.key)
    }
  } catch (err) {
    await removeFiles(storage, written)
    throw err
  }
  return written
}

export async function removeFiles(storage: FileStorage, keys: string[]): Promise<void> {
  for (const k of keys) await storage.delete(k).catch(() => {})
}

/**
 * Files that records name but `storage/` does not hold (deleted by hand, or kept on S3): the records
 * import as they are, and the report says how many downloads will answer 404.
 */
export function noteMissingFiles(db: Database.Database, collections: Collection[], entries: FileEntry[], report: PbReport): void {
  const present = new Set(entries.filter((e) => !e.thumb).map((e) => e.key))
  const missing: string[] = []
  for (const c of collections) {
    if (c.type === 'view') continue
    for (const f of c.fields) {
      if (f.type !== 'file') continue
      const col = `"${f.name.replace(/"/g, '""')}"`
      const rows = db.prepare(`SELECT "id", ${col} AS "v" FROM "${c.name.replace(/"/g, '""')}" WHERE ${col} IS NOT NULL AND ${col} NOT IN ('', '[]')`).all() as { id: string; v: unknown }[]
      for (const r of rows) {
        for (const name of fileNames(r.v)) if (!present.has(`${c.id}/${r.id}/${name}`)) missing.push(`${c.name}/${r.id}/${name}`)
      }
    }
  }
  if (missing.length) {
    const shown = missing.slice(0, 5).join(', ') + (missing.length > 5 ? `, … (${missing.length - 5} more)` : '')
    report.warnings.push(`${missing.length} file(s) named by records are not in storage/ (downloads will answer 404): ${shown}`)
  }
}

/** A file column: one name, or a JSON array of names (maxSelect > 1). */
function fileNames(v: unknown): string[] {
  const text = Buffer.isBuffer(v) ? v.toString('utf8') : String(v)
  if (text.startsWith('[')) {
    try {
      const list = JSON.parse(text)
      return Array.isArray(list) ? list.filter((n): n is string => typeof n === 'string' && n !== '') : []
    } catch { return [text] }
  }
  return [text]
}
