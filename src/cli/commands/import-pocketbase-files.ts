// Uploaded files of a PocketBase data dir (`storage/<collectionId>/<recordId>/…`, thumbs included) → Basalt's storage, same keys.
import fs from 'node:fs'
import path from 'node:path'
import { assertValidKey, type FileStorage } from '../../files/storage.ts'
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
