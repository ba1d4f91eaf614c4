// BackupService: create (snapshot → zip), list, upload, download, delete and restore backups; one operation at a time.
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import { badRequest, fieldError } from '../core/errors.ts'
import type { Clock } from '../core/clock.ts'
import { backupEntries } from './archive.ts'
import type { FileStorage } from '../files/storage.ts'
import { isBackupKey, listBackups, type BackupInfo } from './backup-storage.ts'
import { stageRestore } from './restore.ts'
import { zipStream } from './zip-writer.ts'
import { listZip, ZipFormatError } from './zip-reader.ts'
import { ErrorCode } from '../core/error-codes.ts'

/** PocketBase's rule for names given to POST /api/backups. */
const NAME = /^[a-z0-9_-]+\.zip$/
const BUSY = 'Try again later - another backup/restore process has already been started.'

export interface BackupServiceOptions {
  dataDir: string
  /** Resolved per operation, so a settings change (e.g. backups.s3) applies to the next one. */
  storage: () => FileStorage
  clock: Clock
  /** Null when backups cannot be made here (PostgreSQL: see docs/backups.md). */
  unsupported: string | null
}

export class BackupService {
  /** Key of the running backup/restore ('' while its name is not known yet), or null when idle. */
  private active: string | null = null
  private readonly restartListeners: (() => void)[] = []

  constructor(private readonly opts: BackupServiceOptions) {}

  get storage(): FileStorage { return this.opts.storage() }
  /** `canBackup` of GET /api/health: supported here and nothing running. */
  get canBackup(): boolean { return !this.opts.unsupported && this.active === null }

  list(): Promise<BackupInfo[]> { return listBackups(this.storage) }

  async exists(key: string): Promise<boolean> {
    return isBackupKey(key) && !!(await this.storage.stat(key))
  }

  /** Default names follow PocketBase: `pb_backup_YYYYMMDDHHMMSS.zip` (UTC). */
  defaultName(): string {
    return `pb_backup_${this.opts.clock.now().toISOString().replace(/[-:T]/g, '').slice(0, 14)}.zip`
  }

  async create(name?: unknown): Promise<string> {
    this.assertSupported()
    if (name !== undefined && name !== '') {
      if (typeof name !== 'string' || name.length > 150 || !NAME.test(name) || !isBackupKey(name)) {
        throw badRequest('An error occurred while validating the submitted data.', { name: fieldError(ErrorCode.matchInvalid, 'Must be in a valid format.') })
      }
      if (await this.exists(name)) throw badRequest('An error occurred while validating the submitted data.', { name: fieldError(ErrorCode.backupNameExists, 'The backup file name is invalid or already exists.') })
    }
    const key = typeof name === 'string' && name ? name : this.defaultName()
    return this.exclusive(key, async () => {
      const tmp = await mkdtemp(path.join(this.opts.dataDir, '.backup-'))
      try {
        await this.storage.put(key, zipStream(backupEntries(this.opts.dataDir, tmp)))
      } catch (err) {
        throw badRequest(`Failed to create backup: ${(err as Error)?.message ?? err}`, {}, err)
      } finally {
        await rm(tmp, { recursive: true, force: true })
      }
      return key
    })
  }

  /** Stores an uploaded archive under its own file name after checking it is a readable ZIP. */
  async upload(fileName: string, data: NodeJS.ReadableStream): Promise<void> {
    this.assertSupported()
    const invalid = (code: string, message: string) => badRequest('An error occurred while validating the submitted data.', { file: fieldError(code, message) })
    if (!isBackupKey(fileName)) throw invalid(ErrorCode.invalidFileName, 'Invalid backup file name.')
    if (await this.exists(fileName)) throw invalid(ErrorCode.backupNameExists, 'Backup file with the specified name already exists.')
    const tmp = await mkdtemp(path.join(this.opts.dataDir, '.upload-'))
    try {
      const file = path.join(tmp, 'upload.zip')
      await pipeline(data, createWriteStream(file))
      try { await listZip(file) } catch (err) {
        if (err instanceof ZipFormatError) throw invalid(ErrorCode.invalidMimeType, 'The file must be a zip archive.')
        throw err
      }
      await this.storage.put(fileName, createReadStream(file))
    } finally {
      await rm(tmp, { recursive: true, force: true })
    }
  }

  async delete(key: string): Promise<void> {
    if (key && this.active === key) throw badRequest('The backup is currently being used and cannot be deleted.')
    if (!(await this.exists(key))) throw badRequest('Invalid or already deleted backup file.')
    await this.storage.delete(key)
  }

  /**
   * Unpacks and checks the archive next to the live data (400 and no change when it is not a usable
   * backup), then asks for a restart; the swap happens when the app starts again (restore.ts).
   */
  async restore(key: string): Promise<void> {
    this.assertSupported()
    if (this.active !== null) throw badRequest(BUSY)
    if (!(await this.exists(key))) throw badRequest('Missing or invalid backup file.')
    await this.exclusive(key, async () => {
      const tmp = await mkdtemp(path.join(this.opts.dataDir, '.restore-'))
      try {
        const file = path.join(tmp, 'backup.zip')
        const src = await this.storage.get(key)
        if (!src) throw badRequest('Missing or invalid backup file.')
        await pipeline(src.stream, createWriteStream(file))
        await stageRestore(file, this.opts.dataDir, tmp)
      } catch (err) {
        if (err instanceof ZipFormatError) throw badRequest(`Failed to restore the backup: ${err.message}`, {}, err)
        throw err
      } finally {
        await rm(tmp, { recursive: true, force: true })
      }
    })
    // Until the restart swaps the data in, no other backup, restore or delete of this key may start.
    this.active = key
    for (const l of this.restartListeners) l()
  }

  /** Called after a restore is staged: the owner (the `serve` command) restarts the app to apply it. */
  onRestartRequested(listener: () => void): void { this.restartListeners.push(listener) }

  private assertSupported(): void {
    if (this.opts.unsupported) throw badRequest(this.opts.unsupported)
  }

  private async exclusive<T>(key: string, fn: () => Promise<T>): Promise<T> {
    if (this.active !== null) throw badRequest(BUSY)
    this.active = key
    try { return await fn() } finally { this.active = null }
  }
}
