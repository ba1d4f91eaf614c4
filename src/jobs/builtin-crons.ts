// Built-in cron jobs: clean-up of expired auth factors and sessions, old audit rows, finished jobs and outbox events.
import { formatDate, type Clock } from '../core/clock.ts'
import type { CollectionService } from '../core/collections/collection-service.ts'
import { OTP_ATTEMPT_WINDOW_MS } from '../auth/otp.ts'
import { sql } from '../store/sql.ts'
import type { Store } from '../store/types.ts'
import type { Outbox } from '../events/outbox.ts'
import type { CronScheduler } from './cron.ts'
import type { JobQueue } from './queue.ts'
import type { JobsConfig } from './config.ts'
import { pruneRuns } from './cron-sql.ts'

const stamp = (clock: Clock, agoMs: number) => formatDate(new Date(clock.now().getTime() - agoMs))
/** OTP/MFA rows of collections that no longer exist are kept this long, then removed. */
const ORPHAN_MS = 24 * 60 * 60 * 1000

/** Deletes expired OTPs and MFA sessions (per auth collection's durations) and expired cookie sessions. */
export async function cleanupAuth(store: Store, collections: CollectionService, clock: Clock): Promise<number> {
  let n = 0
  const auth = collections.all().filter((c) => c.auth)
  for (const c of auth) {
    // OTP rows also count failed attempts within the attempt window: keep them at least that long.
    n += (await store.run(sql`DELETE FROM "_otps" WHERE "collectionRef" = ${c.id} AND "created" < ${stamp(clock, Math.max(c.auth!.otp.duration * 1000, OTP_ATTEMPT_WINDOW_MS))}`)).changes
    n += (await store.run(sql`DELETE FROM "_mfas" WHERE "collectionRef" = ${c.id} AND "created" < ${stamp(clock, c.auth!.mfa.duration * 1000)}`)).changes
  }
  const ids = auth.map((c) => sql`${c.id}`)
  const others = ids.length ? sql` AND "collectionRef" NOT IN (${sql.join(ids)})` : sql.empty
  n += (await store.run(sql`DELETE FROM "_otps" WHERE "created" < ${stamp(clock, ORPHAN_MS)}${others}`)).changes
  n += (await store.run(sql`DELETE FROM "_mfas" WHERE "created" < ${stamp(clock, ORPHAN_MS)}${others}`)).changes
  const now = formatDate(clock.now())
  n += (await store.run(sql`DELETE FROM "_sessions" WHERE "expires" < ${now}`)).changes
  n += (await store.run(sql`DELETE FROM "_sessionFamilies" WHERE "expires" < ${now}`)).changes
  return n
}

export async function cleanupAudit(store: Store, clock: Clock, retentionMs: number): Promise<number> {
  if (retentionMs <= 0) return 0
  return (await store.run(sql`DELETE FROM "_audit" WHERE "created" < ${stamp(clock, retentionMs)}`)).changes
}

export function registerBuiltinCrons(cron: CronScheduler, d: { store: Store; collections: CollectionService; clock: Clock; jobs: JobQueue; outbox: Outbox; config: JobsConfig }) {
  cron.add('__basaltAuthCleanup__', '7 * * * *', () => cleanupAuth(d.store, d.collections, d.clock))
  cron.add('__basaltAuditCleanup__', '17 3 * * *', () => cleanupAudit(d.store, d.clock, d.config.auditRetentionMs))
  cron.add('__basaltJobsCleanup__', '27 * * * *', async () => {
    if (d.config.retentionMs <= 0) return
    const before = d.clock.now().getTime() - d.config.retentionMs
    await d.jobs.purge({ finishedBefore: before })
    await pruneRuns(d.store, before)
  })
  cron.add('__basaltOutboxPrune__', '37 * * * *', () => d.outbox.prune(d.config.eventsRetentionMs))
}
