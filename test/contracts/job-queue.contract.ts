// Job queue contract: one suite every engine (SQLite, PostgreSQL) passes — transactional enqueue, retries, leases, shutdown.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp, type App } from '../../src/app.ts'
import { resolveConfig } from '../../src/config.ts'
import { DEFAULT_JOBS_CONFIG } from '../../src/jobs/config.ts'
import { JobQueue } from '../../src/jobs/queue.ts'
import { claimJobs } from '../../src/jobs/job-sql.ts'
import { sql } from '../../src/store/sql.ts'
import { PostgresStore } from '../../src/store/postgres-store.ts'
import { waitFor } from '../support/wait.ts'
import type { JobContext } from '../../src/jobs/types.ts'

export interface Engine { name: string; available: boolean; databaseUrl(): Promise<{ url: string | null; drop(): Promise<void> }> }

const noBackoff = { baseMs: 10, maxMs: 10, jitter: false }

export function jobQueueContract(engine: Engine) {
  describe.skipIf(!engine.available)(`job queue contract [${engine.name}]`, () => {
    let app: App
    let dir: string
    let db: { url: string | null; drop(): Promise<void> }
    const count = async (name: string) => (await app.jobs.list({ name })).totalItems

    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'basalt-jobs-'))
      db = await engine.databaseUrl()
      app = await createApp(resolveConfig({
        dataDir: dir, logLevel: 'silent', databaseUrl: db.url, shutdownGraceMs: 2000,
        jobs: { ...DEFAULT_JOBS_CONFIG, leaseMs: 600, pollMs: 50 },
      }))
      await app.store.exec('CREATE TABLE "orders" ("id" TEXT PRIMARY KEY)')
    })
    afterAll(async () => {
      await app?.close()
      await db?.drop()
      fs.rmSync(dir, { recursive: true, force: true })
    })

    it('runs an enqueued job once with its payload, attempt and idempotency key, and stores its output', async () => {
      const seen: JobContext[] = []
      app.jobs.define('echo', (job) => { seen.push(job); return { doubled: (job.payload as { n: number }).n * 2 } })
      const id = await app.jobs.enqueue('echo', { n: 21 })
      const job = await app.jobs.waitFor(id)
      expect(job).toMatchObject({ state: 'completed', attempt: 1, output: { doubled: 42 }, payload: { n: 21 } })
      expect(seen).toHaveLength(1)
      expect(seen[0]).toMatchObject({ id, name: 'echo', attempt: 1, idempotencyKey: id, payload: { n: 21 } })
    })

    it('an enqueue inside a transaction that throws leaves no job; a committed one runs after the commit', async () => {
      const ran: string[] = []
      app.jobs.define('ship', async (job) => {
        const row = await app.store.get(sql`SELECT "id" FROM "orders" WHERE "id" = ${(job.payload as { order: string }).order}`)
        ran.push(row ? 'order visible' : 'order missing')
      })
      await expect(app.store.transaction(async (tx) => {
        await tx.run(sql`INSERT INTO "orders" ("id") VALUES ('o1')`)
        await app.jobs.enqueue('ship', { order: 'o1' })
        throw new Error('payment declined')
      })).rejects.toThrow('payment declined')
      expect(await count('ship')).toBe(0)

      const id = await app.store.transaction(async (tx) => {
        await tx.run(sql`INSERT INTO "orders" ("id") VALUES ('o2')`)
        const jobId = await app.jobs.enqueue('ship', { order: 'o2' })
        // Not visible to anyone outside the transaction yet, and not run.
        expect(ran).toEqual([])
        return jobId
      })
      await app.jobs.waitFor(id)
      expect(ran).toEqual(['order visible'])
      expect(await count('ship')).toBe(1)
    })

    it('retries a failing job with backoff, then dead-letters it after the last attempt; retry() runs it again', async () => {
      let calls = 0
      let healthy = false
      app.jobs.define('flaky', () => { calls++; if (!healthy) throw new Error(`boom ${calls}`) }, { maxAttempts: 3, backoff: noBackoff })
      const id = await app.jobs.enqueue('flaky', null)
      const dead = await app.jobs.waitFor(id, 'failed')
      expect(dead).toMatchObject({ state: 'failed', attempt: 3, lastError: 'boom 3' })
      expect(calls).toBe(3)
      healthy = true
      expect(await app.jobs.retry(id)).toBe(true)
      expect(await app.jobs.waitFor(id)).toMatchObject({ state: 'completed', attempt: 1 })
      expect(await app.jobs.retry('nope')).toBe(false)
    })

    it('succeeds on a later attempt, with the same idempotency key', async () => {
      const keys: string[] = []
      app.jobs.define('second-time', (job) => { keys.push(job.idempotencyKey); if (job.attempt < 2) throw new Error('transient') }, { backoff: noBackoff })
      const id = await app.jobs.enqueue('second-time')
      expect(await app.jobs.waitFor(id)).toMatchObject({ state: 'completed', attempt: 2, lastError: 'transient' })
      expect(keys).toEqual([id, id])
    })

    it('fails an attempt past its timeout and aborts its signal', async () => {
      let aborted = false
      app.jobs.define('slow', (job) => new Promise((resolve) => { job.signal.addEventListener('abort', () => { aborted = true; resolve(undefined) }) }), { timeoutMs: 100, maxAttempts: 1 })
      const id = await app.jobs.enqueue('slow')
      expect(await app.jobs.waitFor(id, 'failed')).toMatchObject({ lastError: 'timed out after 100 ms' })
      expect(aborted).toBe(true)
    })

    it('dedupes by unique key while queued or active, and accepts the key again once finished', async () => {
      const a = await app.jobs.enqueue('later', { v: 1 }, { uniqueKey: 'user-1', delayMs: 60_000 })
      const b = await app.jobs.enqueue('later', { v: 2 }, { uniqueKey: 'user-1' })
      expect(b).toBe(a)
      expect(await app.jobs.enqueue('later', null, { uniqueKey: 'user-2', delayMs: 60_000 })).not.toBe(a)
      // Concurrent enqueues (one group commit) with one key: one job.
      const [x, y] = await Promise.all([1, 2].map((v) => app.jobs.enqueue('later', { v }, { uniqueKey: 'user-3', delayMs: 60_000 })))
      expect(y).toBe(x)
      expect((await app.jobs.list({ name: 'later' })).totalItems).toBe(3)
      expect(await app.jobs.cancel(a)).toBe(true)
      const c = await app.jobs.enqueue('later', { v: 3 }, { uniqueKey: 'user-1', delayMs: 60_000 })
      expect(c).not.toBe(a)
      expect((await app.jobs.get(a))!.state).toBe('cancelled')
    })

    it('runs higher priority first and never more than `concurrency` at once', async () => {
      for (const [i, priority] of [[1, 0], [2, 5], [3, 1], [4, 9]]) await app.jobs.enqueue('ordered', { i }, { priority })
      const order: number[] = []
      let running = 0
      let peak = 0
      app.jobs.define('ordered', async (job) => {
        running++; peak = Math.max(peak, running)
        order.push((job.payload as { i: number }).i)
        await new Promise((r) => setTimeout(r, 20))
        running--
      }, { concurrency: 1 })
      await waitFor(() => order.length === 4, 5000, 'four ordered jobs')
      expect(order).toEqual([4, 2, 3, 1])
      expect(peak).toBe(1)

      let now = 0
      let max = 0
      app.jobs.define('parallel', async () => { now++; max = Math.max(max, now); await new Promise((r) => setTimeout(r, 30)); now-- }, { concurrency: 3 })
      const ids = await Promise.all(Array.from({ length: 9 }, () => app.jobs.enqueue('parallel')))
      for (const id of ids) await app.jobs.waitFor(id)
      expect(max).toBe(3)
    })

    it('does not run a delayed job before its time', async () => {
      const ranAt: number[] = []
      app.jobs.define('delayed', () => { ranAt.push(Date.now()) })
      const start = Date.now()
      const id = await app.jobs.enqueue('delayed', null, { delayMs: 300 })
      const runAt = Date.now() + 200
      const at = await app.jobs.enqueue('delayed', null, { runAt: new Date(runAt) })
      await app.jobs.waitFor(id)
      await app.jobs.waitFor(at)
      expect(Math.min(...ranAt)).toBeGreaterThanOrEqual(runAt - 5)
      expect(Math.max(...ranAt) - start).toBeGreaterThanOrEqual(295)
    })

    it('runs a job again when the worker holding it stops renewing its lease', async () => {
      const attempts: number[] = []
      const id = await app.jobs.enqueue('orphan')
      // A worker on another node claims it and dies (no heartbeat, no completion).
      const claimed = await claimJobs(app.store, 'orphan', 1, 'dead-node', Date.now(), 200)
      expect(claimed.map((j) => j.id)).toEqual([id])
      app.jobs.define('orphan', (job) => { attempts.push(job.attempt) })
      expect(await app.jobs.waitFor(id)).toMatchObject({ state: 'completed', attempt: 2 })
      expect(attempts).toEqual([2])
    })

    it('cancels a queued job (never runs) and aborts a running one', async () => {
      let signalled = false
      let started = false
      app.jobs.define('long', (job) => new Promise((resolve) => { started = true; job.signal.addEventListener('abort', () => { signalled = true; resolve(undefined) }) }))
      const queued = await app.jobs.enqueue('long', null, { delayMs: 60_000 })
      expect(await app.jobs.cancel(queued)).toBe(true)
      expect(await app.jobs.cancel(queued)).toBe(false)
      const running = await app.jobs.enqueue('long')
      await waitFor(() => started, 5000, 'long job to start')
      expect(await app.jobs.cancel(running)).toBe(true)
      await waitFor(() => signalled, 5000, 'abort signal')
      expect((await app.jobs.get(running))!.state).toBe('cancelled')
    })

    it('counts per state and purges finished jobs only', async () => {
      const stats = await app.jobs.stats()
      expect(stats.total.completed).toBeGreaterThan(0)
      expect(stats.names.echo.completed).toBe(1)
      await expect(app.jobs.purge({ state: 'queued' })).rejects.toThrow(/finished/)
      const purged = await app.jobs.purge({ state: 'completed', name: 'echo' })
      expect(purged).toBe(1)
      expect((await app.jobs.stats()).names.echo?.completed ?? 0).toBe(0)
    })

    it.runIf(engine.name === 'postgres')('wakes a worker on another node through NOTIFY, not its poll', async () => {
      // Another node: its own pool and LISTEN connection, a poll period far beyond the test's patience.
      const store = new PostgresStore({ connectionString: db.url!, poolSize: 2 })
      const other = new JobQueue({ store, clock: app.clock, nodeId: 'node-3', databaseUrl: db.url, leaseMs: 5000, pollMs: 600_000, onError: () => {} })
      const ran: string[] = []
      other.define('remote', (job) => { ran.push(job.id) })
      other.start()
      try {
        const first = await app.jobs.enqueue('remote')
        await app.jobs.waitFor(first) // the other node is listening now (or found it on connect)
        const second = await app.jobs.enqueue('remote')
        expect(await app.jobs.waitFor(second, 'completed', 3000)).toMatchObject({ state: 'completed' })
        expect(ran).toEqual([first, second])
      } finally {
        await other.stop(1000)
        await store.close()
      }
    })

    it('shutdown lets running jobs finish within the grace period and gives the rest back', async () => {
      // A second queue on the same database plays a second node that is shutting down.
      const node = new JobQueue({ store: app.store, clock: app.clock, nodeId: 'node-2', databaseUrl: db.url, leaseMs: 5000, pollMs: 50, onError: () => {} })
      const started = new Set<string>()
      node.define('drain', async (job) => {
        started.add(job.id)
        await new Promise((r) => setTimeout(r, (job.payload as { ms: number }).ms))
      }, { concurrency: 2 })
      const quick = await node.enqueue('drain', { ms: 50 })
      const stuck = await node.enqueue('drain', { ms: 60_000 })
      node.start()
      await waitFor(() => started.size === 2, 5000, 'both drain jobs to start')
      await node.stop(300)
      expect((await app.jobs.get(quick))!.state).toBe('completed')
      // Released: queued again, the interrupted attempt not counted, runnable at once by another node.
      expect(await app.jobs.get(stuck)).toMatchObject({ state: 'queued', attempt: 0, worker: '' })
      await app.jobs.cancel(stuck)
    })
  })
}
