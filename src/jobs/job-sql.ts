// All job-queue SQL, as small functions (pg-boss's plans.ts pattern); the two engines differ only in claim and notify.
import { sql, type Sql } from '../store/sql.ts'
import type { Executor, Store } from '../store/types.ts'
import type { JobState } from './types.ts'

/** NOTIFY channel that wakes workers on other nodes (PostgreSQL). */
export const JOBS_CHANNEL = 'basalt_jobs'

export interface JobRow {
  id: string
  name: string
  payload: string
  state: JobState
  priority: number
  attempt: number
  maxAttempts: number
  uniqueKey: string | null
  runAt: number
  leaseUntil: number | null
  worker: string
  startedAt: number | null
  finishedAt: number | null
  lastError: string
  output: string | null
  created: number
  updated: number
}

export interface NewJob {
  id: string
  name: string
  payload: string
  priority: number
  maxAttempts: number
  uniqueKey: string | null
  runAt: number
  now: number
}

const isPg = (store: Store) => store.dialect.name === 'postgres'
const num = (r: JobRow): JobRow => ({
  ...r, priority: Number(r.priority), attempt: Number(r.attempt), maxAttempts: Number(r.maxAttempts), runAt: Number(r.runAt),
  created: Number(r.created), updated: Number(r.updated),
  leaseUntil: r.leaseUntil == null ? null : Number(r.leaseUntil),
  startedAt: r.startedAt == null ? null : Number(r.startedAt), finishedAt: r.finishedAt == null ? null : Number(r.finishedAt),
})

/** A write that returns rows: SQLite must run it on the writer (in a transaction); PostgreSQL autocommits it. */
async function writeReturning(store: Store, q: Sql): Promise<JobRow[]> {
  const rows = isPg(store) ? await store.all<JobRow>(q) : await store.transaction((tx) => tx.all<JobRow>(q))
  return rows.map(num)
}

export async function migrateJobTables(tx: Executor, pg: boolean): Promise<void> {
  // PostgreSQL gets an insertion-order column like SQLite's implicit rowid, for FIFO among equal runAt.
  const rowid = pg ? ',\n    "_rowid_" BIGSERIAL NOT NULL' : ''
  await tx.exec(`CREATE TABLE IF NOT EXISTS "_jobs" (
    "id" TEXT PRIMARY KEY NOT NULL,
    "name" TEXT NOT NULL,
    "payload" TEXT DEFAULT 'null' NOT NULL,
    "state" TEXT DEFAULT 'queued' NOT NULL,
    "priority" INTEGER DEFAULT 0 NOT NULL,
    "attempt" INTEGER DEFAULT 0 NOT NULL,
    "maxAttempts" INTEGER DEFAULT 3 NOT NULL,
    "uniqueKey" TEXT DEFAULT NULL,
    "runAt" BIGINT NOT NULL,
    "leaseUntil" BIGINT DEFAULT NULL,
    "worker" TEXT DEFAULT '' NOT NULL,
    "startedAt" BIGINT DEFAULT NULL,
    "finishedAt" BIGINT DEFAULT NULL,
    "lastError" TEXT DEFAULT '' NOT NULL,
    "output" TEXT DEFAULT NULL,
    "created" BIGINT NOT NULL,
    "updated" BIGINT NOT NULL${rowid}
  )`)
  // The claim's exact order (priority DESC, runAt, insertion), so a claim reads its first rows off the index
  // instead of sorting every queued job of the name (SQLite's rowid is implicitly the last key column).
  // It replaces "_jobs_claim_idx" (priority ascending), with which a backlog of N jobs cost a sort of N per claim.
  await tx.exec(`DROP INDEX IF EXISTS "_jobs_claim_idx"`)
  await tx.exec(`CREATE INDEX IF NOT EXISTS "_jobs_claim_order_idx" ON "_jobs" ("name", "state", "priority" DESC, "runAt"${pg ? ', "_rowid_"' : ''})`)
  // Also serves the lease reaper (state = 'active': few rows) — one index less to maintain per enqueue.
  await tx.exec(`CREATE INDEX IF NOT EXISTS "_jobs_finished_idx" ON "_jobs" ("state", "finishedAt")`)
  // The dedupe guarantee: one queued/active job per (name, uniqueKey), enforced by the database on both engines.
  await tx.exec(`CREATE UNIQUE INDEX IF NOT EXISTS "_jobs_unique_idx" ON "_jobs" ("name", "uniqueKey")
    WHERE "uniqueKey" IS NOT NULL AND "state" IN ('queued', 'active')`)
}

/**
 * Inserts jobs (one multi-row statement) in the caller's transaction; returns the ids actually inserted —
 * a job whose unique key is held by a queued/active job (or by an earlier job of the same batch) is skipped.
 */
export async function insertJobs(tx: Executor, pg: boolean, jobs: NewJob[]): Promise<Set<string>> {
  const rows = jobs.map((j) => sql`(${j.id}, ${j.name}, ${j.payload}, ${j.priority}, ${j.maxAttempts}, ${j.uniqueKey}, ${j.runAt}, ${j.now}, ${j.now})`)
  const inserted = await tx.all<{ id: string }>(sql`INSERT INTO "_jobs" ("id", "name", "payload", "priority", "maxAttempts", "uniqueKey", "runAt", "created", "updated")
    VALUES ${sql.join(rows)} ON CONFLICT DO NOTHING RETURNING "id"`)
  const ids = new Set(inserted.map((r) => r.id))
  // NOTIFY is transactional on PostgreSQL: other nodes hear about the jobs only if they commit.
  if (pg) for (const name of new Set(jobs.filter((j) => ids.has(j.id) && j.runAt <= j.now).map((j) => j.name))) await notifyWorkers(tx, name)
  return ids
}

/** Wakes the workers of every node listening (PostgreSQL; delivered on commit). */
export async function notifyWorkers(db: Executor, name: string): Promise<void> {
  await db.run(sql`SELECT pg_notify(${JOBS_CHANNEL}, ${name})`)
}

export async function findPendingByKey(tx: Executor, name: string, uniqueKey: string): Promise<string | undefined> {
  const row = await tx.get<{ id: string }>(sql`SELECT "id" FROM "_jobs" WHERE "name" = ${name} AND "uniqueKey" = ${uniqueKey} AND "state" IN ('queued', 'active')`)
  return row?.id
}

/**
 * Leases up to `limit` runnable jobs of `name` to `worker`, highest priority first, then oldest runAt.
 * PostgreSQL: `FOR UPDATE SKIP LOCKED` so nodes claim disjoint sets without waiting on each other;
 * SQLite: the single writer transaction already serializes claims.
 */
export async function claimJobs(store: Store, name: string, limit: number, worker: string, now: number, leaseMs: number): Promise<JobRow[]> {
  const skipLocked = isPg(store) ? sql.raw(' FOR UPDATE SKIP LOCKED') : sql.empty
  const rows = await writeReturning(store, sql`UPDATE "_jobs" SET "state" = 'active', "attempt" = "attempt" + 1, "worker" = ${worker},
      "leaseUntil" = ${now + leaseMs}, "startedAt" = ${now}, "updated" = ${now}
    WHERE "id" IN (SELECT "id" FROM "_jobs" WHERE "name" = ${name} AND "state" = 'queued' AND "runAt" <= ${now}
      ORDER BY "priority" DESC, "runAt", "_rowid_" LIMIT ${limit}${skipLocked})
    RETURNING *`)
  return rows.sort((a, b) => b.priority - a.priority || a.runAt - b.runAt)
}

/** Marks finished attempts completed; only rows this worker still holds (a lost lease is not overwritten). */
export async function completeJobs(store: Store, done: { id: string; output: string | null }[], worker: string, now: number): Promise<void> {
  const plain = done.filter((d) => d.output === null).map((d) => d.id)
  const withOutput = done.filter((d) => d.output !== null)
  await store.transaction(async (tx) => {
    if (plain.length) {
      await tx.run(sql`UPDATE "_jobs" SET "state" = 'completed', "finishedAt" = ${now}, "updated" = ${now}, "leaseUntil" = NULL
        WHERE "id" IN (${sql.join(plain.map((id) => sql`${id}`))}) AND "worker" = ${worker} AND "state" = 'active'`)
    }
    for (const d of withOutput) {
      await tx.run(sql`UPDATE "_jobs" SET "state" = 'completed', "finishedAt" = ${now}, "updated" = ${now}, "leaseUntil" = NULL, "output" = ${d.output}
        WHERE "id" = ${d.id} AND "worker" = ${worker} AND "state" = 'active'`)
    }
  })
}

/** A failed attempt: back to queued at `retryAt`, or dead (failed) when `retryAt` is null. */
export async function failJob(store: Store, id: string, worker: string, now: number, error: string, retryAt: number | null): Promise<boolean> {
  const next = retryAt === null
    ? sql`"state" = 'failed', "finishedAt" = ${now}`
    : sql`"state" = 'queued', "runAt" = ${retryAt}`
  const { changes } = await store.run(sql`UPDATE "_jobs" SET ${next}, "lastError" = ${error}, "leaseUntil" = NULL, "updated" = ${now}
    WHERE "id" = ${id} AND "worker" = ${worker} AND "state" = 'active'`)
  return changes > 0
}

/** A deferred attempt (DeferJob): queued again at `runAt`, the attempt given back. */
export async function deferJob(store: Store, id: string, worker: string, now: number, reason: string, runAt: number): Promise<boolean> {
  const { changes } = await store.run(sql`UPDATE "_jobs" SET "state" = 'queued', "attempt" = "attempt" - 1, "runAt" = ${runAt}, "worker" = '',
      "lastError" = ${reason}, "leaseUntil" = NULL, "updated" = ${now}
    WHERE "id" = ${id} AND "worker" = ${worker} AND "state" = 'active'`)
  return changes > 0
}

/** Heartbeat: extends the leases this worker holds. */
export async function extendLeases(store: Store, ids: string[], worker: string, until: number): Promise<void> {
  if (!ids.length) return
  await store.run(sql`UPDATE "_jobs" SET "leaseUntil" = ${until} WHERE "id" IN (${sql.join(ids.map((id) => sql`${id}`))}) AND "worker" = ${worker} AND "state" = 'active'`)
}

/** Shutdown: gives unfinished jobs back (the attempt does not count) so another worker takes them at once. */
export async function releaseJobs(store: Store, ids: string[], worker: string, now: number): Promise<void> {
  if (!ids.length) return
  await store.run(sql`UPDATE "_jobs" SET "state" = 'queued', "attempt" = "attempt" - 1, "worker" = '', "leaseUntil" = NULL, "runAt" = ${now}, "updated" = ${now}
    WHERE "id" IN (${sql.join(ids.map((id) => sql`${id}`))}) AND "worker" = ${worker} AND "state" = 'active'`)
}

/**
 * Jobs whose lease ran out (their worker died or hung): queued again at once, or dead when that was the
 * last attempt. The attempt counts: a job that kills its worker every time ends in the dead letters.
 */
export async function reapExpired(store: Store, now: number): Promise<number> {
  const { changes } = await store.run(sql`UPDATE "_jobs" SET
      "state" = CASE WHEN "attempt" >= "maxAttempts" THEN 'failed' ELSE 'queued' END,
      "finishedAt" = CASE WHEN "attempt" >= "maxAttempts" THEN CAST(${now} AS BIGINT) ELSE NULL END,
      "lastError" = 'lease expired: the worker stopped or did not renew its lease', "leaseUntil" = NULL, "runAt" = ${now}, "updated" = ${now}
    WHERE "state" = 'active' AND "leaseUntil" < ${now}`)
  return changes
}

export async function getJob(db: Executor, id: string): Promise<JobRow | undefined> {
  const row = await db.get<JobRow>(sql`SELECT * FROM "_jobs" WHERE "id" = ${id}`)
  return row && num(row)
}

export interface ListFilter { state?: JobState; name?: string }

function where(f: ListFilter): Sql {
  const parts: Sql[] = []
  if (f.state) parts.push(sql`"state" = ${f.state}`)
  if (f.name) parts.push(sql`"name" = ${f.name}`)
  return parts.length ? sql` WHERE ${sql.join(parts, ' AND ')}` : sql.empty
}

export async function listJobs(db: Executor, f: ListFilter, limit: number, offset: number, newestFirst: boolean): Promise<JobRow[]> {
  const order = newestFirst ? sql.raw('"created" DESC, "id" DESC') : sql.raw('"created" ASC, "id" ASC')
  return (await db.all<JobRow>(sql`SELECT * FROM "_jobs"${where(f)} ORDER BY ${order} LIMIT ${limit} OFFSET ${offset}`)).map(num)
}

export async function countJobs(db: Executor, f: ListFilter): Promise<number> {
  return Number((await db.get<{ n: number }>(sql`SELECT COUNT(*) AS "n" FROM "_jobs"${where(f)}`))!.n)
}

export async function countByState(db: Executor): Promise<{ name: string; state: JobState; n: number }[]> {
  const rows = await db.all<{ name: string; state: JobState; n: number }>(sql`SELECT "name", "state", COUNT(*) AS "n" FROM "_jobs" GROUP BY "name", "state"`)
  return rows.map((r) => ({ ...r, n: Number(r.n) }))
}

/** Retry a finished job now, with its attempts reset. */
export async function retryJob(store: Store, id: string, now: number): Promise<boolean> {
  const { changes } = await store.run(sql`UPDATE "_jobs" SET "state" = 'queued', "attempt" = 0, "runAt" = ${now}, "finishedAt" = NULL, "worker" = '', "updated" = ${now}
    WHERE "id" = ${id} AND "state" IN ('failed', 'cancelled', 'completed')`)
  return changes > 0
}

export async function cancelJob(store: Store, id: string, now: number): Promise<boolean> {
  const { changes } = await store.run(sql`UPDATE "_jobs" SET "state" = 'cancelled', "finishedAt" = ${now}, "leaseUntil" = NULL, "updated" = ${now}
    WHERE "id" = ${id} AND "state" IN ('queued', 'active')`)
  return changes > 0
}

/** Deletes finished jobs in `states`, optionally only those finished before `before`. */
export async function purgeJobs(store: Store, states: readonly JobState[], before?: number, name?: string): Promise<number> {
  const older = before === undefined ? sql.empty : sql` AND "finishedAt" < ${before}`
  const named = name ? sql` AND "name" = ${name}` : sql.empty
  const { changes } = await store.run(sql`DELETE FROM "_jobs" WHERE "state" IN (${sql.join(states.map((s) => sql`${s}`))})${older}${named}`)
  return changes
}

/** The earliest runAt among queued jobs of these names (to arm a wake-up timer). */
export async function nextRunAt(db: Executor, names: string[]): Promise<number | null> {
  if (!names.length) return null
  const row = await db.get<{ t: number | null }>(sql`SELECT MIN("runAt") AS "t" FROM "_jobs" WHERE "state" = 'queued' AND "name" IN (${sql.join(names.map((n) => sql`${n}`))})`)
  return row?.t == null ? null : Number(row.t)
}
