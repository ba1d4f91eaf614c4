// Scheduled backups from settings.backups (cron, cronMaxKeep) via croner — one small function, easy to move to a cron registry.
import { Cron } from 'croner'
import type { Clock } from '../core/clock.ts'
import type { Settings } from '../settings/settings.ts'
import type { SettingsService } from '../settings/settings-service.ts'
import type { BackupService } from './backup-service.ts'

/** Automatic backups are named with this prefix; only they are pruned to `cronMaxKeep` (PocketBase uses `@auto_pb_backup_`). */
export const AUTO_PREFIX = 'auto_pb_backup_'

/** Makes one automatic backup, then deletes the oldest automatic ones beyond `maxKeep`. */
export async function runScheduledBackup(backups: BackupService, clock: Clock, maxKeep: number): Promise<string> {
  const key = `${AUTO_PREFIX}${clock.now().toISOString().replace(/[-:T]/g, '').slice(0, 14)}.zip`
  await backups.create(key)
  const autos = (await backups.list()).filter((b) => b.key.startsWith(AUTO_PREFIX))
    .sort((a, b) => (a.modified === b.modified ? b.key.localeCompare(a.key) : a.modified < b.modified ? 1 : -1))
  for (const old of autos.slice(Math.max(1, maxKeep))) await backups.storage.delete(old.key)
  return key
}

/** Follows `settings.backups.cron` ('' = off); returns a stop function. Overlapping runs are skipped. */
export function scheduleBackups(backups: BackupService, settings: SettingsService, clock: Clock, onError: (err: unknown) => void = () => {}): () => void {
  let job: Cron | null = null
  let current = ''
  let stopped = false
  const apply = (s: Settings) => {
    if (stopped || s.backups.cron === current) return
    job?.stop()
    job = null
    current = s.backups.cron
    if (!current) return
    job = new Cron(current, { protect: true, unref: true, catch: (err) => onError(err) }, async () => {
      const s = await settings.get()
      await runScheduledBackup(backups, clock, s.backups.cronMaxKeep)
    })
  }
  settings.get().then(apply, onError)
  settings.onChange(apply)
  return () => { stopped = true; job?.stop() }
}
