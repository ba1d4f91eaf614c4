// Application-logic bench: Basalt on SQLite with and without 3 no-op hooks on `posts` (list/view/create),
// and a batch of 100 creates vs single creates at the same concurrency. Prints a table and the ratios.
import { join } from 'node:path'

const num = (v: string | undefined, d: number) => (v === undefined || v === '' || Number.isNaN(Number(v)) ? d : Number(v))
process.env.BENCH_POSTS ??= '2000'
const cfg = { duration: num(process.env.BENCH_DURATION, 10), warmup: num(process.env.BENCH_WARMUP, 2), connections: num(process.env.BENCH_CONNECTIONS, 50) }
const BATCH_SIZE = 100
const BATCH_CONNECTIONS = num(process.env.BENCH_BATCH_CONNECTIONS, 10)

const { startBasalt, REPO_ROOT } = await import('./lib/targets.ts')
const { runLoad } = await import('./lib/load.ts')
const { list } = await import('./scenarios/list.ts')
const { view } = await import('./scenarios/view.ts')
const { create } = await import('./scenarios/create.ts')
const { apiOk } = await import('./lib/http.ts')
const { newPostPayload, SUPERUSER_EMAIL, SUPERUSER_PASSWORD } = await import('./lib/data.ts')
const { killAll } = await import('./lib/proc.ts')
type Stats = Awaited<ReturnType<typeof runLoad>>

const log = (m: string) => console.error(`[bench:app] ${m}`)
const results: Record<string, Record<string, Stats>> = {}

async function measure(variant: string, hooksDir: string | undefined) {
  if (hooksDir) process.env.BASALT_HOOKS_DIR = hooksDir
  else delete process.env.BASALT_HOOKS_DIR
  const t = await startBasalt('sqlite')
  try {
    results[variant] = {}
    for (const sc of [list, view, create]) {
      log(`${variant}: ${sc.name}`)
      results[variant][sc.name] = await runLoad(sc.build(t), cfg)
    }
    if (!hooksDir) {
      const su = await apiOk<{ token: string }>(t.url, 'POST', '/api/collections/_superusers/auth-with-password', { identity: SUPERUSER_EMAIL, password: SUPERUSER_PASSWORD })
      await apiOk(t.url, 'PATCH', '/api/settings', { batch: { enabled: true, maxRequests: 1000, timeout: 30 } }, su.token)
      const user = t.users[0]
      const batchBody = JSON.stringify({ requests: Array.from({ length: BATCH_SIZE }, (_, i) => ({ method: 'POST', url: '/api/collections/posts/records', body: JSON.parse(newPostPayload(user.id, `batched ${i}`, true)) })) })
      // One checked request first: a misconfigured batch must fail loudly, not measure 400s.
      await apiOk(t.url, 'POST', '/api/batch', JSON.parse(batchBody), user.token)
      const lowConcurrency = { ...cfg, connections: BATCH_CONNECTIONS }
      log(`${variant}: ${BATCH_SIZE} creates per batch, ${BATCH_CONNECTIONS} connections`)
      results[variant].batch = await runLoad({ url: t.url, requests: [{ method: 'POST', path: '/api/batch', body: batchBody, headers: { authorization: user.token, 'content-type': 'application/json' } }] }, lowConcurrency)
      log(`${variant}: single creates, ${BATCH_CONNECTIONS} connections`)
      results[variant].single = await runLoad(create.build(t), lowConcurrency)
    }
  } finally {
    await t.stop()
  }
}

try {
  await measure('no hooks', undefined)
  await measure('3 no-op hooks', join(REPO_ROOT, 'bench/hooks/noop'))
} finally {
  killAll()
}

const f0 = (n: number) => Math.round(n).toLocaleString('en-US')
const out: string[] = []
out.push(`## Application logic (SQLite, ${cfg.connections} connections, ${cfg.duration} s per scenario, ${process.env.BENCH_POSTS} posts)\n`)
out.push('| scenario | no hooks req/s (p99 ms) | 3 no-op hooks req/s (p99 ms) | with / without |')
out.push('|---|---:|---:|---:|')
for (const name of ['list', 'view', 'create']) {
  const a = results['no hooks'][name], b = results['3 no-op hooks'][name]
  out.push(`| ${name} | ${f0(a.rps)} (${a.p99}) | ${f0(b.rps)} (${b.p99}) | ${(b.rps / a.rps).toFixed(2)} ${b.rps / a.rps >= 0.9 ? '✓ (≥ 0.90)' : '✗ (< 0.90)'} |`)
}
const batch = results['no hooks'].batch, single = results['no hooks'].single
const perRecordBatch = batch.rps * BATCH_SIZE
out.push('')
out.push(`Batch (${BATCH_CONNECTIONS} connections): ${f0(batch.rps)} batches/s of ${BATCH_SIZE} creates = ${f0(perRecordBatch)} records/s (p99 ${batch.p99} ms) ` +
  `vs ${f0(single.rps)} single creates/s (p99 ${single.p99} ms): ${(perRecordBatch / single.rps).toFixed(1)}× per record ${perRecordBatch / single.rps >= 5 ? '✓ (≥ 5×)' : '✗ (< 5×)'}`)
const non2xx = Object.entries(results).flatMap(([v, r]) => Object.entries(r).filter(([, s]) => s.non2xx > 0).map(([n, s]) => `${v}/${n}: ${s.non2xx} non-2xx ${JSON.stringify(s.statusCodes)}`))
if (non2xx.length) out.push(`\nProblems: ${non2xx.join(', ')}`)
console.log(out.join('\n'))
