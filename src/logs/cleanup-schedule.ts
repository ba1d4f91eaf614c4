// The periodic log clean-up (retention from settings.logs.maxDays), kept in one function so an app-wide cron registry can adopt it.
import { Cron } from 'croner'
import type { LogService } from './log-service.ts'

/** PocketBase runs its logs clean-up every 6 hours too. */
export const LOG_CLEANUP_CRON = '0 */6 * * *'

/** Starts the schedule; returns a stop function. Overlapping runs are skipped, errors go to `onError`. */
export function scheduleLogCleanup(logs: LogService, onError: (err: unknown) => void = () => {}, pattern = LOG_CLEANUP_CRON): () => void {
  const job = new Cron(pattern, { protect: true, unref: true, catch: (err) => onError(err) }, async () => { await logs.cleanup() })
  return () => job.stop()
}
