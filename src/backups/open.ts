// Wires backups for a config: applies a staged restore before the database opens, then builds the service and schedule.
import path from 'node:path'
import type { Clock } from '../core/clock.ts'
import type { Config } from '../config.ts'
import type { Logger } from '../observability/logger.ts'
import type { SettingsService } from '../settings/settings-service.ts'
import type { Store } from '../store/types.ts'
import { BackupService } from './backup-service.ts'
import { scheduleBackups } from './backup-schedule.ts'
import { ConfiguredFileStorage } from '../files/configured-storage.ts'
import { LocalFileStorage } from '../files/local-storage.ts'
import { applyStagedRestore } from './restore.ts'

export const POSTGRES_UNSUPPORTED = 'Backups through the API are available on SQLite only; back up PostgreSQL with pg_dump or snapshots (see docs/backups.md).'

export const openBackups = {
  /** Step 1, before `openStore`: a restore staged by the previous run is swapped in now, while no file is open. */
  async prepare(config: Config, logger: Logger) {
    if (!config.databaseUrl && await applyStagedRestore(config.dataDir)) {
      logger.info(`backups: restored a backup into ${config.dataDir}`)
    }
    // Step 2, once settings exist: the service and the cron schedule.
    return (deps: { store: Store; settings: SettingsService; clock: Clock }) => {
      // settings.backups.s3 moves backups to S3 at runtime, as settings.s3 does for uploads.
      const storage = new ConfiguredFileStorage(new LocalFileStorage(path.join(config.dataDir, 'backups')), async () => (await deps.settings.get()).backups.s3)
      const backups = new BackupService({
        dataDir: config.dataDir, clock: deps.clock, storage: () => storage,
        unsupported: deps.store.dialect.name === 'postgres' ? POSTGRES_UNSUPPORTED : null,
      })
      const onError = (err: unknown) => logger.error({ err }, 'backups: scheduled backup failed')
      const stopSchedule = deps.store.dialect.name === 'postgres' ? () => {} : scheduleBackups(backups, deps.settings, deps.clock, onError)
      return { backups, close: () => { stopSchedule(); storage.close() } }
    }
  },
}
