// Events bench (SQLite): (1) authenticated creates with events on (the default: every change written to
// the outbox in its transaction, the dispatcher running) vs off (BASALT_EVENTS_OUTBOX=false), as a ratio
// (target ≥ 0.8), and for information with a webhook on `posts` delivering every create to a local
// receiver in the same run; (2) webhook deliveries/s: N delivery jobs queued while workers are stopped, then drained
// to a local receiver (claim → signed POST → delivery-log row → completed), target ≥ 1,000/s.
// `node --import tsx bench/events.ts` (BENCH_DURATION, BENCH_CONNECTIONS, BENCH_WEBHOOK_DELIVERIES).
import fs from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { randomBytes } from 'node:crypto'

const num = (v: string | undefined, d: number) => (v === undefined || v === '' || Number.isNaN(Number(v)) ? d : Number(v))
process.env.BENCH_POSTS ??= '2000'
// The spawned servers post to a receiver on 127.0.0.1.
process.env.BASALT_WEBHOOKS_ALLOW_PRIVATE = 'true'
const cfg = { duration: num(process.env.BENCH_DURATION, 10), warmup: num(process.env.BENCH_WARMUP, 2), connections: num(process.env.BENCH_CONNECTIONS, 50) }
const DELIVERIES = num(process.env.BENCH_WEBHOOK_DELIVERIES, 10_000)

const { startBasalt } = await import('./lib/targets.ts')
const { runLoad } = await import('./lib/load.ts')
const { create } = await import('./scenarios/create.ts')
const { apiOk } = await import('./lib/http.ts')
const { SUPERUSER_EMAIL, SUPERUSER_PASSWORD } = await import('./lib/data.ts')
const { killAll } = await import('./lib/proc.ts')
const { createApp } = await import('../src/app.ts')
const { resolveConfig, DEFAULTS } = await import('../src/config.ts')
const { DEFAULT_JOBS_CONFIG } = await import('../src/jobs/config.ts')
const { WEBHOOK_JOB } = await import('../src/events/webhooks/webhooks.ts')
const { guestRequest } = await import('../src/rules/request-info.ts')
type Stats = Awaited<ReturnType<typeof runLoad>>

const log = (m: string) => console.error(`[bench:events] ${m}`)
const secret = () => `whsec_${randomBytes(24).toString('base64')}`

/** A receiver answering 200 to every POST, counting them. */
async function receiver() {
  let count = 0
  const server = http.createServer((req, res) => {
    req.resume()
    req.on('end', () => { count++; res.writeHead(200).end('ok') })
  })
  server.keepAliveTimeout = 30_000
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`, count: () => count, close: () => new Promise((r) => server.close(r)) }
}

async function createLoad(withWebhook: boolean, outbox = true): Promise<{ stats: Stats; delivered: number }> {
  const r = await receiver()
  if (outbox) delete process.env.BASALT_EVENTS_OUTBOX
  else process.env.BASALT_EVENTS_OUTBOX = 'false'
  const t = await startBasalt('sqlite')
  delete process.env.BASALT_EVENTS_OUTBOX
  try {
    if (withWebhook) {
      const su = await apiOk<{ token: string }>(t.url, 'POST', '/api/collections/_superusers/auth-with-password', { identity: SUPERUSER_EMAIL, password: SUPERUSER_PASSWORD })
      await apiOk(t.url, 'POST', '/api/collections/_webhooks/records', { url: r.url, collections: ['posts'], events: ['create'], secret: secret(), active: true }, su.token)
    }
    log(`create, ${!outbox ? 'outbox off' : withWebhook ? 'events on + a webhook on posts' : 'events on'}`)
    const stats = await runLoad(create.build(t), cfg)
    return { stats, delivered: r.count() }
  } finally {
    await t.stop()
    await r.close()
  }
}

async function deliveriesPerSecond(): Promise<{ rate: number; n: number }> {
  const r = await receiver()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'basalt-bench-events-'))
  // Workers off while the backlog is queued, so the drain measures delivery alone.
  const app = await createApp(resolveConfig({ dataDir: dir, logLevel: 'silent', jobs: { ...DEFAULT_JOBS_CONFIG, workers: false }, events: { ...DEFAULTS.events, webhooksAllowPrivate: true } }))
  try {
    const c = app.collections.get('_webhooks')
    const root = guestRequest({ auth: { collection: app.collections.get('_superusers'), record: { id: 'bench' } } })
    const hook = await app.records.create(c, { body: { url: r.url, secret: secret(), active: true }, files: new Map() }, {}, root) as { id: string }
    const source = 'basalt://bench/collections/posts'
    for (let i = 0; i < DELIVERIES; i += 500) {
      await Promise.all(Array.from({ length: Math.min(500, DELIVERIES - i) }, (_, k) => {
        const id = `ev-${i + k}`
        const event = { specversion: '1.0', id, source, type: 'basalt.record.create', subject: id, time: new Date().toISOString(), datacontenttype: 'application/json', data: { id, title: 'x'.repeat(200) }, basaltseq: i + k, basaltcollection: 'posts' }
        return app.jobs.enqueue(WEBHOOK_JOB, { webhookId: hook.id, event }, { uniqueKey: `${hook.id}:${id}` })
      }))
    }
    log(`${DELIVERIES} webhook deliveries queued; draining`)
    const t0 = performance.now()
    app.jobs.start()
    while (r.count() < DELIVERIES) await new Promise((res) => setTimeout(res, 5))
    return { rate: DELIVERIES / ((performance.now() - t0) / 1000), n: DELIVERIES }
  } finally {
    await app.close()
    await r.close()
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

let off: Awaited<ReturnType<typeof createLoad>>
let on: Awaited<ReturnType<typeof createLoad>>
let hooked: Awaited<ReturnType<typeof createLoad>>
let drain: Awaited<ReturnType<typeof deliveriesPerSecond>>
// BENCH_EVENTS_ONLY=deliveries skips the create runs (profiling the delivery path).
const deliveriesOnly = process.env.BENCH_EVENTS_ONLY === 'deliveries'
try {
  if (deliveriesOnly) {
    drain = await deliveriesPerSecond()
    console.log(`webhook deliveries: ${Math.round(drain.rate)}/s`)
    process.exit(0)
  }
  if (process.env.BENCH_EVENTS_ONLY === 'create-webhook') {
    hooked = await createLoad(true)
    console.log(`create, events on + webhook: ${Math.round(hooked.stats.rps)} req/s, ${hooked.delivered} delivered`)
    process.exit(0)
  }
  off = await createLoad(false, false)
  on = await createLoad(false)
  hooked = await createLoad(true)
  drain = await deliveriesPerSecond()
} finally {
  killAll()
}

const f0 = (n: number) => Math.round(n).toLocaleString('en-US')
const ratio = on.stats.rps / off.stats.rps
const hookedRatio = hooked.stats.rps / off.stats.rps
const out: string[] = []
out.push(`## Events (SQLite, ${cfg.connections} connections, ${cfg.duration} s per create run)\n`)
out.push('| measure | result | target |')
out.push('|---|---:|---|')
out.push(`| create, outbox off (BASALT_EVENTS_OUTBOX=false) | ${f0(off.stats.rps)} req/s (p99 ${off.stats.p99} ms) | |`)
out.push(`| create, events on (outbox + dispatcher, the default) | ${f0(on.stats.rps)} req/s (p99 ${on.stats.p99} ms) | |`)
out.push(`| events on / off | ${ratio.toFixed(2)} | ${ratio >= 0.8 ? '✓' : '✗'} ≥ 0.80 |`)
out.push(`| create, events on + a webhook on posts (${f0(hooked.delivered)} delivered during the run, same process) | ${f0(hooked.stats.rps)} req/s (p99 ${hooked.stats.p99} ms), ${hookedRatio.toFixed(2)} of off | (information) |`)
out.push(`| webhook deliveries (${f0(drain.n)} queued, drained to a local receiver) | ${f0(drain.rate)} /s | ${drain.rate >= 1000 ? '✓' : '✗'} ≥ 1,000/s |`)
const non2xx = [off, on, hooked].filter((x) => x.stats.non2xx > 0).map((x) => `${x.stats.non2xx} non-2xx ${JSON.stringify(x.stats.statusCodes)}`)
if (non2xx.length) out.push(`\nProblems: ${non2xx.join(', ')}`)
console.log(out.join('\n'))
