// Background processing: builds the job queue, cron scheduler and workflow engine on the app's own database.
import type { Clock } from '../core/clock.ts'
import type { CollectionService } from '../core/collections/collection-service.ts'
import type { Outbox } from '../events/outbox.ts'
import type { Logger } from '../observability/logger.ts'
import type { Store } from '../store/types.ts'
import { registerBuiltinCrons } from './builtin-crons.ts'
import type { JobsConfig } from './config.ts'
import { CronScheduler } from './cron.ts'
import { JobQueue } from './queue.ts'
import { WorkflowEngine } from './workflows/workflows.ts'

export { JobQueue } from './queue.ts'
export { DeferJob } from './defer.ts'
export { CronScheduler } from './cron.ts'
export { WorkflowEngine } from './workflows/workflows.ts'
export type * from './types.ts'
export type * from './workflows/types.ts'
export { migrateBackgroundTables } from './schema.ts'
export type { CronHandler, CronOptions, CronContext } from './cron.ts'

export interface Background {
  jobs: JobQueue
  cron: CronScheduler
  workflows: WorkflowEngine
  /** Graceful stop: no new claims or ticks; running work gets `graceMs`, the rest is released. */
  close(graceMs: number): Promise<void>
}

export interface BackgroundDeps {
  store: Store
  clock: Clock
  nodeId: string
  databaseUrl: string | null
  config: JobsConfig
  collections: CollectionService
  outbox: Outbox
  logger: Logger
}

export async function createBackground(d: BackgroundDeps): Promise<Background> {
  // Tables: created by migrateSystemTables (src/jobs/schema.ts), before this runs.
  const onError = (err: unknown, context: string) => d.logger.error({ err }, `jobs: ${context}`)
  const jobs = new JobQueue({ store: d.store, clock: d.clock, nodeId: d.nodeId, databaseUrl: d.databaseUrl, leaseMs: d.config.leaseMs, pollMs: d.config.pollMs, onError })
  const cron = new CronScheduler({ store: d.store, clock: d.clock, nodeId: d.nodeId, onError })
  const workflows = new WorkflowEngine(d.store, jobs, d.clock)
  registerBuiltinCrons(cron, { ...d, jobs })
  if (d.config.workers) {
    jobs.start()
    cron.start()
  }
  return {
    jobs, cron, workflows,
    async close(graceMs) {
      await Promise.all([cron.stop(graceMs), jobs.stop(graceMs)])
    },
  }
}
