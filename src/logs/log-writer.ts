// LogWriter: a bounded in-memory queue of log entries flushed in batches, so logging never waits on the database.
import { sql } from '../store/sql.ts'
import type { Store } from '../store/types.ts'
import { LOGS_TABLE } from './log-store.ts'

export interface LogEntry {
  id: string
  /** PocketBase / slog levels: -4 debug, 0 info, 4 warn, 8 error. */
  level: number
  message: string
  data: Record<string, unknown>
  created: string
}

export interface LogWriterOptions {
  /** Entries held at most; beyond it new entries are dropped and counted (never unbounded memory). */
  maxQueue?: number
  /** Rows per INSERT (one transaction each). */
  batchSize?: number
  /** How long an entry may wait for company before a flush. */
  flushMs?: number
  onError?: (err: unknown) => void
}

export class LogWriter {
  /** Entries refused because the queue was full (exposed for monitoring and tests). */
  dropped = 0
  /** Entries lost because a batch insert failed. */
  failed = 0
  written = 0
  private queue: LogEntry[] = []
  private timer: NodeJS.Timeout | null = null
  private running: Promise<void> | null = null
  private closed = false
  private readonly maxQueue: number
  private readonly batchSize: number
  private readonly flushMs: number

  constructor(private readonly store: Store, private readonly opts: LogWriterOptions = {}) {
    this.maxQueue = opts.maxQueue ?? 10_000
    this.batchSize = opts.batchSize ?? 200
    this.flushMs = opts.flushMs ?? 250
  }

  get pending(): number { return this.queue.length }

  /** Synchronous and O(1): the request path only pays for an array push. */
  push(entry: LogEntry): void {
    if (this.closed) return
    if (this.queue.length >= this.maxQueue) {
      this.dropped++
      return
    }
    this.queue.push(entry)
    if (this.queue.length >= this.batchSize) this.kick()
    else if (!this.timer && !this.running) {
      this.timer = setTimeout(() => this.kick(), this.flushMs)
      this.timer.unref()
    }
  }

  /** Writes everything queued so far (also what arrives while writing). */
  async flush(): Promise<void> {
    while (this.running || this.queue.length) {
      if (!this.running) this.kick()
      await this.running
    }
  }

  /** Stops accepting entries and writes the rest. */
  async close(): Promise<void> {
    this.closed = true
    await this.flush()
  }

  private kick(): void {
    if (this.timer) { clearTimeout(this.timer); this.timer = null }
    if (this.running) return
    this.running = this.drain().finally(() => {
      this.running = null
      if (this.queue.length && !this.timer) this.kick()
    })
  }

  private async drain(): Promise<void> {
    while (this.queue.length) {
      const batch = this.queue.splice(0, this.batchSize)
      try {
        await this.insert(batch)
        this.written += batch.length
      } catch (err) {
        this.failed += batch.length
        this.opts.onError?.(err)
      }
    }
  }

  private async insert(batch: LogEntry[]): Promise<void> {
    const rows = batch.map((e) => sql`(${e.id}, ${e.level}, ${e.message}, ${JSON.stringify(e.data)}, ${e.created})`)
    await this.store.run(sql`INSERT INTO ${sql.raw(`"${LOGS_TABLE}"`)} ("id", "level", "message", "data", "created") VALUES ${sql.join(rows)}`)
  }
}
