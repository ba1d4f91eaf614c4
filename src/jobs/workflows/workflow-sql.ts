// Workflow SQL: the `_workflows` table (state persisted between steps) and its small read/write functions.
import { sql, type Sql } from '../../store/sql.ts'
import type { Executor } from '../../store/types.ts'
import type { WorkflowState } from './types.ts'

export interface WorkflowRow {
  id: string; name: string; state: WorkflowState; input: string; results: string; signals: string
  step: number; waitingFor: string; error: string; created: number; updated: number
}

export async function migrateWorkflowTables(tx: Executor): Promise<void> {
  await tx.exec(`CREATE TABLE IF NOT EXISTS "_workflows" (
    "id" TEXT PRIMARY KEY NOT NULL,
    "name" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "input" TEXT DEFAULT 'null' NOT NULL,
    "results" TEXT DEFAULT '{}' NOT NULL,
    "signals" TEXT DEFAULT '{}' NOT NULL,
    "step" INTEGER DEFAULT 0 NOT NULL,
    "waitingFor" TEXT DEFAULT '' NOT NULL,
    "error" TEXT DEFAULT '' NOT NULL,
    "created" BIGINT NOT NULL,
    "updated" BIGINT NOT NULL
  )`)
  await tx.exec(`CREATE INDEX IF NOT EXISTS "_workflows_state_idx" ON "_workflows" ("state", "created")`)
}

const fix = (r: WorkflowRow): WorkflowRow => ({ ...r, step: Number(r.step), created: Number(r.created), updated: Number(r.updated) })

export async function insertWorkflow(tx: Executor, r: Pick<WorkflowRow, 'id' | 'name' | 'input'>, now: number): Promise<void> {
  await tx.run(sql`INSERT INTO "_workflows" ("id", "name", "state", "input", "created", "updated") VALUES (${r.id}, ${r.name}, 'running', ${r.input}, ${now}, ${now})`)
}

/** Reads a workflow; `lock` (inside a transaction) holds its row until commit on PostgreSQL (SQLite: one writer anyway). */
export async function loadWorkflow(db: Executor, id: string, lock: Sql = sql.empty): Promise<WorkflowRow | undefined> {
  const row = await db.get<WorkflowRow>(sql`SELECT * FROM "_workflows" AS "w" WHERE "id" = ${id}${lock}`)
  return row && fix(row)
}

export async function saveWorkflow(tx: Executor, r: WorkflowRow, now: number): Promise<void> {
  await tx.run(sql`UPDATE "_workflows" SET "state" = ${r.state}, "results" = ${r.results}, "signals" = ${r.signals}, "step" = ${r.step},
    "waitingFor" = ${r.waitingFor}, "error" = ${r.error}, "updated" = ${now} WHERE "id" = ${r.id}`)
}

export async function listWorkflows(db: Executor, f: { state?: WorkflowState; name?: string }, limit: number, offset: number): Promise<{ rows: WorkflowRow[]; total: number }> {
  const parts: Sql[] = []
  if (f.state) parts.push(sql`"state" = ${f.state}`)
  if (f.name) parts.push(sql`"name" = ${f.name}`)
  const where = parts.length ? sql` WHERE ${sql.join(parts, ' AND ')}` : sql.empty
  const rows = await db.all<WorkflowRow>(sql`SELECT * FROM "_workflows"${where} ORDER BY "created" DESC, "id" DESC LIMIT ${limit} OFFSET ${offset}`)
  const total = await db.get<{ n: number }>(sql`SELECT COUNT(*) AS "n" FROM "_workflows"${where}`)
  return { rows: rows.map(fix), total: Number(total!.n) }
}
