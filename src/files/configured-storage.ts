// FileStorage that follows `settings.s3`: local data directory, or S3 while it is enabled (re-read on every call).
import type { S3Config, S3FileStorage } from './s3-storage.ts'
import type { ByteRange, FileStorage } from './storage.ts'

/**
 * Settings are cached for about a second (SettingsService), so every node of a cluster switches
 * backend within that time of a PATCH, without a restart. Files are not copied between backends:
 * switching shows the files of the new one (as PocketBase does).
 */
export class ConfiguredFileStorage implements FileStorage {
  private s3: { signature: string; storage: S3FileStorage } | null = null

  constructor(private readonly local: FileStorage, private readonly config: () => Promise<S3Config>) {}

  /** The backend for the current settings. */
  async current(): Promise<FileStorage> {
    const cfg = await this.config()
    if (!cfg.enabled) return this.local
    const signature = JSON.stringify([cfg.bucket, cfg.region, cfg.endpoint, cfg.accessKey, cfg.secret, cfg.forcePathStyle])
    if (this.s3?.signature !== signature) {
      // Requests may still be running on the old client: close it a little later.
      const old = this.s3?.storage
      if (old) setTimeout(() => old.close(), 60_000).unref()
      // The AWS SDK (~25 MB) loads only once S3 is enabled.
      const { S3FileStorage } = await import('./s3-storage.ts')
      this.s3 = { signature, storage: new S3FileStorage(cfg) }
    }
    return this.s3.storage
  }

  async put(key: string, data: Buffer | NodeJS.ReadableStream) { return (await this.current()).put(key, data) }
  async get(key: string, opts?: { range?: ByteRange }) { return (await this.current()).get(key, opts) }
  async stat(key: string) { return (await this.current()).stat(key) }
  async delete(key: string) { return (await this.current()).delete(key) }
  async deletePrefix(prefix: string) { return (await this.current()).deletePrefix(prefix) }
  async list(prefix: string) { return (await this.current()).list(prefix) }

  close() {
    this.s3?.storage.close()
    this.s3 = null
  }
}
