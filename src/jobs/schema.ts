// The background-processing tables (`_jobs`, `_cronRuns`, `_workflows`), created with the other bookkeeping tables.
import type { SqlDialect } from '../store/dialects/types.ts'
import type { Executor } from '../store/types.ts'
import { migrateCronTables } from './cron-sql.ts'
import { migrateJobTables } from './job-sql.ts'
import { migrateWorkflowTables } from './workflows/workflow-sql.ts'

/** Additive and idempotent; runs inside `migrateSystemTables` (under its migration lock). */
export async function migrateBackgroundTables(tx: Executor, dialect: SqlDialect): Promise<void> {
  await migrateJobTables(tx, dialect.name === 'postgres')
  await migrateCronTables(tx)
  await migrateWorkflowTables(tx)
}
