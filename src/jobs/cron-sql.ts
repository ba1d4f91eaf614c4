// Cron bookkeeping SQL: one `_cronRuns` row per (cron id, tick) — whoever inserts it runs that tick.
import { randomUUID } from 'node:crypto'
import { sql } from '../store/sql.ts'
import type { Executor, Store } from '../store/types.ts'

export type CronRunState = 'running' | 'completed' | 'failed' | 'missed'

export interface CronRun { id: string; cronId: string; tick: number; state: CronRunState; node: string; started: number; finished: number | null; error: string }

export async function migrateCronTables(tx: Executor): Promise<void> {
  await tx.exec(`CREATE TABLE IF NOT EXISTS "_cronRuns" (
    "id" TEXT PRIMARY KEY NOT NULL,
    "cronId" TEXT NOT NULL,
    "tick" BIGINT NOT NULL,
    "state" TEXT NOT NULL,
    "node" TEXT DEFAULT '' NOT NULL,
    "started" BIGINT NOT NULL,
    "finished" BIGINT DEFAULT NULL,
    "error" TEXT DEFAULT '' NOT NULL
  )`)
  // The exactly-once guarantee: a second node inserting the same tick conflicts and skips it.
  await tx.exec(`CREATE UNIQUE INDEX IF NOT EXISTS "_cronRuns_tick_idx" ON "_cronRuns" ("cronId", "tick")`)
  await tx.exec(`CREATE INDEX IF NOT EXISTS "_cronRuns_started_idx" ON "_cronRuns" ("started")`)
}

/** Claims one tick; true when this node inserted it (and so must run it, or record it missed). */
export async function claimTick(store: Store, cronId: string, tick: number, state: CronRunState, node: string, now: number): Promise<boolean> {
  const finished = state === 'missed' ? now : null
  const { changes } = await store.run(sql`INSERT INTO "_cronRuns" ("id", "cronId", "tick", "state", "node", "started", "finished")
    VALUES (${randomUUID()}, ${cronId}, ${tick}, ${state}, ${node}, ${now}, ${finished}) ON CONFLICT DO NOTHING`)
  return changes > 0
}

export async function finishTick(store: Store, cronId: string, tick: number, error: string | null, now: number): Promise<void> {
  await store.run(sql`UPDATE "_cronRuns" SET "state" = ${error === null ? 'completed' : 'failed'}, "error" = ${error ?? ''}, "finished" = ${now}
    WHERE "cronId" = ${cronId} AND "tick" = ${tick}`)
}

export async function lastTick(db: Executor, cronId: string): Promise<number | null> {
  const row = await db.get<{ t: number | string | null }>(sql`SELECT MAX("tick") AS "t" FROM "_cronRuns" WHERE "cronId" = ${cronId}`)
  return row?.t == null ? null : Number(row.t)
}

export async function listRuns(db: Executor, cronId: string, limit = 50): Promise<CronRun[]> {
  const rows = await db.all<CronRun>(sql`SELECT * FROM "_cronRuns" WHERE "cronId" = ${cronId} ORDER BY "tick" DESC LIMIT ${limit}`)
  return rows.map((r) => ({ ...r, tick: Number(r.tick), started: Number(r.started), finished: r.finished == null ? null : Number(r.finished) }))
}

export async function pruneRuns(store: Store, before: number): Promise<number> {
  return (await store.run(sql`DELETE FROM "_cronRuns" WHERE "started" < ${before}`)).changes
}
