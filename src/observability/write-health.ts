// Whether this node can write right now: set by writes failing for lack of storage, cleared by a write that works.
import fs from 'node:fs'

export interface WriteHealthStatus {
  canWrite: boolean
  /** Why not, for logs and the health answer. */
  reason?: string
}

export interface WriteHealthOptions {
  /** Checked for free space (SQLite database, uploads); null = no local check (e.g. PostgreSQL without local files). */
  dataDir: string | null
  /** Below this many free bytes the node reports it cannot write, before a write even fails. */
  minFreeBytes?: number
  /** A failure stops counting after this long without another, so a node nobody writes to can recover. */
  failureTtlMs?: number
  now?: () => number
}

/**
 * Load balancers take a node out when /api/health fails; that must happen when writes fail for lack of
 * storage, not only when the process is down. Two signals: the last write failure that was a storage
 * error (until a later write succeeds or it ages out), and free space in the data directory (statfs,
 * cached briefly so a busy health endpoint does not become a syscall per request).
 */
export class WriteHealth {
  private failure: { reason: string; at: number } | null = null
  private diskCheck: { at: number; reason: string | null } | null = null
  private readonly minFreeBytes: number
  private readonly failureTtlMs: number
  private readonly now: () => number

  constructor(private readonly opts: WriteHealthOptions) {
    this.minFreeBytes = opts.minFreeBytes ?? 1024 * 1024
    this.failureTtlMs = opts.failureTtlMs ?? 30_000
    this.now = opts.now ?? Date.now
  }

  noteFailure(reason: string): void {
    this.failure = { reason, at: this.now() }
    this.diskCheck = null
  }

  noteSuccess(): void {
    this.failure = null
  }

  status(): WriteHealthStatus {
    const now = this.now()
    if (this.failure && now - this.failure.at < this.failureTtlMs) return { canWrite: false, reason: this.failure.reason }
    this.failure = null
    const disk = this.checkDisk(now)
    return disk ? { canWrite: false, reason: disk } : { canWrite: true }
  }

  private checkDisk(now: number): string | null {
    if (!this.opts.dataDir) return null
    if (this.diskCheck && now - this.diskCheck.at < 2000) return this.diskCheck.reason
    let reason: string | null = null
    try {
      const s = fs.statfsSync(this.opts.dataDir)
      const free = s.bavail * s.bsize
      if (free < this.minFreeBytes) reason = `the disk holding ${this.opts.dataDir} has ${free} bytes free`
    } catch {
      reason = null // an unreadable statfs says nothing about writes; the write path will tell
    }
    this.diskCheck = { at: now, reason }
    return reason
  }
}
