// Jobs bench: no-op jobs/s end-to-end (enqueue → run → completed) on SQLite, PostgreSQL ×1 and ×3 nodes, and pg-boss 10
// on the same PostgreSQL. `node --import tsx bench/jobs.ts` (BENCH_JOBS=N, BENCH_JOBS_LEGS=sqlite,pg-1,pg-3,pg-boss).
import { fork } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import PgBoss from 'pg-boss'
import { createApp, type App } from '../src/app.ts'
import { resolveConfig } from '../src/config.ts'
import { DEFAULT_JOBS_CONFIG } from '../src/jobs/config.ts'
import { createBenchDb, probePg } from './lib/pg.ts'

const N = Number(process.env.BENCH_JOBS ?? 20_000)
const IN_FLIGHT = 64 // concurrent enqueue calls (like 64 request handlers enqueueing)
const CONCURRENCY = 100 // jobs running at once per node
const PGBOSS_WORKERS = Number(process.env.BENCH_PGBOSS_WORKERS ?? 10)
const legs = (process.env.BENCH_JOBS_LEGS ?? 'sqlite,pg-1,pg-3,pg-boss').split(',')
const log = (m: string) => console.error(`[bench:jobs] ${m}`)

/** Calls `send(i)` for i < n with at most IN_FLIGHT outstanding. */
async function enqueueAll(n: number, send: (i: number) => Promise<unknown>) {
  let next = 0
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => { while (next < n) await send(next++) }))
}

async function waitDone(count: () => Promise<number>, n: number) {
  while ((await count()) < n) await new Promise((r) => setTimeout(r, 20))
}

async function basaltApp(databaseUrl: string | null, workers: boolean): Promise<{ app: App; close(): Promise<void> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'basalt-bench-jobs-'))
  const app = await createApp(resolveConfig({ dataDir: dir, logLevel: 'silent', databaseUrl, pgPoolSize: 20, jobs: { ...DEFAULT_JOBS_CONFIG, workers } }))
  return { app, close: async () => { await app.close(); fs.rmSync(dir, { recursive: true, force: true }) } }
}

const completed = async (app: App) => (await app.jobs.stats()).total.completed

async function basaltLeg(databaseUrl: string | null, nodes: number): Promise<number> {
  // 1 node: the enqueuing process runs the jobs too. Several: the enqueuer only enqueues, N child nodes run them.
  const { app, close } = await basaltApp(databaseUrl, nodes === 1)
  const children = nodes > 1 ? await Promise.all(Array.from({ length: nodes }, () => new Promise<ReturnType<typeof fork>>((resolve, reject) => {
    const c = fork(path.join(import.meta.dirname, 'jobs-worker.ts'), { execArgv: ['--import', 'tsx'], env: { ...process.env, DATABASE_URL: databaseUrl!, CONCURRENCY: String(CONCURRENCY) } })
    c.once('message', () => resolve(c))
    c.once('exit', (code) => reject(new Error(`worker exited ${code}`)))
  }))) : []
  if (nodes === 1) app.jobs.define('noop', () => {}, { concurrency: CONCURRENCY })
  const t0 = performance.now()
  await enqueueAll(N, () => app.jobs.enqueue('noop', null))
  await waitDone(() => completed(app), N)
  const rate = N / ((performance.now() - t0) / 1000)
  for (const c of children) { c.send('stop'); await new Promise((r) => c.once('exit', r)) }
  await close()
  return rate
}

async function pgBossLeg(url: string): Promise<number> {
  const boss = new PgBoss({ connectionString: url, max: 20 })
  boss.on('error', () => {})
  await boss.start()
  await boss.createQueue('noop')
  let done = 0
  // A pg-boss worker fetches a batch, then sleeps out its polling interval (0.5 s minimum) unless notified,
  // so one worker caps at batchSize / 0.5 s; PGBOSS_WORKERS workers of CONCURRENCY jobs each is how it scales.
  for (let i = 0; i < PGBOSS_WORKERS; i++) {
    await boss.work('noop', { batchSize: CONCURRENCY, pollingIntervalSeconds: 0.5 }, async (jobs) => { done += jobs.length })
  }
  const t0 = performance.now()
  await enqueueAll(N, () => boss.send('noop', {}))
  // pg-boss completes a batch after its handler resolves; count what is stored as completed.
  await waitDone(async () => (done < N ? done : (await boss.getQueueSize('noop', { before: 'completed' })) === 0 ? N : 0), N)
  const rate = N / ((performance.now() - t0) / 1000)
  await boss.stop({ graceful: false, wait: true })
  return rate
}

const results: [string, number][] = []
if (legs.includes('sqlite')) {
  log(`sqlite: ${N} no-op jobs…`)
  results.push(['Basalt, SQLite, 1 node', await basaltLeg(null, 1)])
}
const pgLegs = legs.filter((l) => l.startsWith('pg'))
if (pgLegs.length) {
  const down = await probePg()
  if (down) log(`PostgreSQL legs skipped: ${down}`)
  else {
    for (const leg of pgLegs) {
      const db = await createBenchDb()
      try {
        log(`${leg}: ${N} no-op jobs on ${db.name}…`)
        if (leg === 'pg-1') results.push(['Basalt, PostgreSQL, 1 node', await basaltLeg(db.url, 1)])
        if (leg === 'pg-3') results.push(['Basalt, PostgreSQL, 3 worker nodes + 1 enqueuer', await basaltLeg(db.url, 3)])
        if (leg === 'pg-boss') results.push([`pg-boss 10, PostgreSQL, 1 process, ${PGBOSS_WORKERS} workers × batch ${CONCURRENCY}`, await pgBossLeg(db.url)])
      } finally { await db.drop() }
    }
  }
}
console.log(`\n| jobs bench (${N} no-op jobs, ${IN_FLIGHT} concurrent enqueues, concurrency ${CONCURRENCY}/node) | jobs/s |\n|---|---:|`)
for (const [name, rate] of results) console.log(`| ${name} | ${Math.round(rate).toLocaleString('en-US')} |`)
process.exit(0)
