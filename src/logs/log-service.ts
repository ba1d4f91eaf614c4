// LogService: the app's request-log store — accepts entries (filtered by settings.logs), answers queries, owns the aux DB.
import { newLogId } from '../core/ids.ts'
import { formatDate, type Clock } from '../core/clock.ts'
import type { SettingsService } from '../settings/settings-service.ts'
import type { Settings } from '../settings/settings.ts'
import type { Config } from '../config.ts'
import type { Store } from '../store/types.ts'
import { migrateLogStore, openLogStore } from './log-store.ts'
import { LogQuery } from './log-query.ts'
import { LogWriter, type LogWriterOptions } from './log-writer.ts'

export const LOG_LEVELS = { debug: -4, info: 0, warn: 4, error: 8 } as const

export class LogService {
  readonly writer: LogWriter
  readonly query: LogQuery

  constructor(
    readonly store: Store,
    private readonly deps: { settings: SettingsService; clock: Clock; ownsStore: boolean; writer?: LogWriterOptions },
  ) {
    this.writer = new LogWriter(store, deps.writer)
    this.query = new LogQuery(store)
  }

  /**
   * Queues one entry unless `settings.logs` turns it away (maxDays 0 = logging off, below minLevel).
   * Never throws and never waits on the database; settings are read from their 1 s cache.
   */
  async add(level: number, message: string, data: Record<string, unknown>): Promise<void> {
    this.addWith((this.deps.settings.peek() ?? await this.deps.settings.get()).logs, level, message, data)
  }

  /** add() with the `settings.logs` the caller already holds: synchronous, for the per-request path. */
  addWith(s: Settings['logs'], level: number, message: string, data: Record<string, unknown>): void {
    if (s.maxDays <= 0 || level < s.minLevel) return
    const now = this.deps.clock.now()
    this.writer.push({ id: newLogId(now.getTime()), level, message, data, created: formatDate(now) })
  }

  /** Retention: removes logs older than `settings.logs.maxDays` days. Returns the number deleted. */
  async cleanup(): Promise<number> {
    const maxDays = (await this.deps.settings.get()).logs.maxDays
    const cutoff = new Date(this.deps.clock.now().getTime() - maxDays * 86_400_000)
    return this.query.deleteOlderThan(formatDate(cutoff))
  }

  async close(): Promise<void> {
    await this.writer.close()
    if (this.deps.ownsStore) await this.store.close()
  }
}

/** Opens (and migrates) the log store for this config: auxiliary.db on SQLite, the main database on PostgreSQL. */
export async function openLogs(config: Config, main: Store, settings: SettingsService, clock: Clock): Promise<LogService> {
  const { store, owned } = openLogStore(config, main)
  await migrateLogStore(store)
  return new LogService(store, { settings, clock, ownsStore: owned })
}
