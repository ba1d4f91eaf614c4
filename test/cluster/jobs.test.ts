// Jobs across 3 node processes on PostgreSQL: a node SIGKILLed mid-job loses its lease and the job runs again
// on another node; nothing enqueued is lost; each cron tick fires once; ticks missed while all nodes were down are recorded.
import path from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, startCluster, waitFor, type Cluster } from './support.ts'

const script = path.resolve(import.meta.dirname, 'fixtures/jobs-node.ts')
let cl: Cluster

/** A query on the cluster's database (not the admin one). */
async function q<T extends Record<string, any>>(text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: cl.db.url })
  await client.connect()
  try { return (await client.query(text, values)).rows as T[] } finally { await client.end() }
}

beforeAll(async () => {
  cl = await startCluster(3, { script, env: { BASALT_JOBS_LEASE_MS: '1500', BASALT_JOBS_POLL_MS: '200', TICK_CRON: '* * * * * *' } })
})
afterAll(async () => { await cl?.close() })

describe('jobs in a 3-node cluster', () => {
  it('a job whose node is SIGKILLed mid-run runs again on another node; every enqueued job completes', async () => {
    const [A] = cl.nodes
    const slow = await api(A.url, 'POST', '/test/enqueue', { body: { payloads: [{ ms: 10, firstMs: 120_000 }] } })
    expect(slow.status).toBe(200)
    const id = slow.body.ids[0] as string
    const started = await waitFor(async () => (await q<{ node: string }>(`SELECT "node" FROM "job_log" WHERE "job" = $1 AND "event" = 'start'`, [id]))[0], 10_000, 'slow job to start')
    // Plenty of other work in flight while the node dies.
    const bulk = await api(A.url, 'POST', '/test/enqueue', { body: { payloads: Array.from({ length: 150 }, () => ({ ms: 30 })) } })
    const bulkIds = bulk.body.ids as string[]
    await waitFor(async () => Number((await q<{ n: string }>(`SELECT COUNT(*) AS n FROM "job_log" WHERE "event" = 'done'`))[0].n) >= 20, 10_000, 'bulk jobs under way')
    const victim = cl.nodes.find((n) => n.name === started.node)!
    await victim.kill()

    const done = await waitFor(async () => {
      const rows = await q<{ state: string; attempt: number; worker: string }>(`SELECT "state", "attempt", "worker" FROM "_jobs" WHERE "id" = $1`, [id])
      return rows[0]?.state === 'completed' ? rows[0] : null
    }, 20_000, 'slow job to complete after the kill')
    expect(done!.attempt).toBe(2)
    const runs = await q<{ node: string; attempt: number; event: string }>(`SELECT "node", "attempt", "event" FROM "job_log" WHERE "job" = $1 ORDER BY "at"`, [id])
    expect(runs.filter((r) => r.event === 'done')).toHaveLength(1)
    expect(runs.find((r) => r.event === 'done')!.node).not.toBe(victim.name)

    await waitFor(async () => Number((await q<{ n: string }>(`SELECT COUNT(*) AS n FROM "_jobs" WHERE "id" = ANY($1) AND "state" = 'completed'`, [bulkIds]))[0].n) === bulkIds.length,
      30_000, 'every bulk job completed')
    // At least once: each job finished at least once; repeats only for jobs the dead node had started.
    const finished = await q<{ job: string; n: string }>(`SELECT "job", COUNT(*) AS n FROM "job_log" WHERE "event" = 'done' AND "job" = ANY($1) GROUP BY "job"`, [bulkIds])
    expect(finished).toHaveLength(bulkIds.length)
    const repeated = await q<{ job: string }>(`SELECT DISTINCT "job" FROM "job_log" WHERE "event" = 'start' AND "job" = ANY($1) AND "attempt" > 1`, [bulkIds])
    const startedOnVictim = new Set((await q<{ job: string }>(`SELECT DISTINCT "job" FROM "job_log" WHERE "node" = $1`, [victim.name])).map((r) => r.job))
    for (const r of repeated) expect(startedOnVictim.has(r.job)).toBe(true)
    await victim.start()
  })

  it('fires each cron tick once across the nodes, and records ticks missed while all nodes were down', async () => {
    await waitFor(async () => Number((await q<{ n: string }>(`SELECT COUNT(DISTINCT "tick") AS n FROM "tick_log"`))[0].n) >= 4, 15_000, 'four ticks')
    const dupes = await q(`SELECT "tick", COUNT(*) AS n FROM "tick_log" GROUP BY "tick" HAVING COUNT(*) > 1`)
    expect(dupes, cl.logs()).toEqual([])
    const nodes = new Set((await q<{ node: string }>(`SELECT DISTINCT "node" FROM "tick_log"`)).map((r) => r.node))
    expect(nodes.size).toBeGreaterThanOrEqual(1)

    await Promise.all(cl.nodes.map((n) => n.kill()))
    const [{ t: downAt }] = await q<{ t: string }>(`SELECT MAX("tick") AS t FROM "_cronRuns" WHERE "cronId" = 'cluster-tick'`)
    await new Promise((r) => setTimeout(r, 9000)) // every node down across several ticks
    await cl.nodes[0].start()
    const missed = await waitFor(async () => {
      const rows = await q<{ tick: string }>(`SELECT "tick" FROM "_cronRuns" WHERE "cronId" = 'cluster-tick' AND "state" = 'missed' AND "tick" > $1 ORDER BY "tick"`, [downAt])
      return rows.length >= 2 ? rows.map((r) => Number(r.tick)) : null
    }, 15_000, 'missed ticks recorded')
    expect(missed![0]).toBe(Number(downAt) + 1000)
    const ranMissed = await q(`SELECT 1 FROM "tick_log" WHERE "tick" = ANY($1)`, [missed!])
    expect(ranMissed).toEqual([])
    const after = await q(`SELECT "tick", COUNT(*) AS n FROM "tick_log" GROUP BY "tick" HAVING COUNT(*) > 1`)
    expect(after).toEqual([])
  })
})
