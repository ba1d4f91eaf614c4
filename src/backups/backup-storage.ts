// Where backup archives are kept: any FileStorage (the data dir's backups/, or S3 from settings.backups.s3), under flat keys.
import { formatDate } from '../core/clock.ts'
import { assertValidKey, type FileStorage } from '../files/storage.ts'

export interface BackupInfo { key: string; size: number; modified: string }

/** A backup key: one storage-key segment (no `/`, no `..`, no leading dot), at most 150 characters. */
export function isBackupKey(key: unknown): key is string {
  if (typeof key !== 'string' || key.length === 0 || key.length > 150) return false
  try { return assertValidKey(key).length === 1 } catch { return false }
}

/** PocketBase's `[{key, size, modified}]`, newest first; anything that is not a flat backup key is not a backup. */
export async function listBackups(storage: FileStorage): Promise<BackupInfo[]> {
  const items = (await storage.list('')).filter((f) => isBackupKey(f.key))
    .map((f) => ({ key: f.key, size: f.size, modified: formatDate(f.modified) }))
  return items.sort((a, b) => (a.modified < b.modified ? 1 : a.modified > b.modified ? -1 : a.key.localeCompare(b.key)))
}
