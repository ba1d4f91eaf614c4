// Overload bench (SQLite): how Basalt behaves at 3× the request rate it can sustain. (1) The sustainable
// rate of the `list` scenario is measured closed-loop (autocannon); (2) an open-loop generator then
// offers 3× that rate for BENCH_DURATION s — requests keep coming whether or not earlier ones were
// answered, as real clients do. Load shedding (docs/operations.md "Load shedding") must keep the
// answered (2xx) requests' p99 under 1 s by refusing the excess early with 503 + Retry-After.
// `node --import tsx bench/overload.ts` (BENCH_DURATION, BENCH_OVERLOAD_FACTOR, BENCH_CONNECTIONS).
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import http from 'node:http'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import os from 'node:os'

const num = (v: string | undefined, d: number) => (v === undefined || v === '' || Number.isNaN(Number(v)) ? d : Number(v))
process.env.BENCH_POSTS ??= '2000'
// All the generator's connections come from 127.0.0.1: the per-IP connection cap (meant for one
// client hogging a server) would refuse most of them before load shedding is ever tested.
process.env.BASALT_MAX_CONNECTIONS_PER_IP ??= '0'
const cfg = { duration: num(process.env.BENCH_DURATION, 10), warmup: num(process.env.BENCH_WARMUP, 2), connections: num(process.env.BENCH_CONNECTIONS, 50) }
const FACTOR = num(process.env.BENCH_OVERLOAD_FACTOR, 3)
const CLIENT_TIMEOUT_MS = 10_000

const { startBasalt } = await import('./lib/targets.ts')
const { runLoad } = await import('./lib/load.ts')
const { list } = await import('./scenarios/list.ts')
const { killAll, cpuMs } = await import('./lib/proc.ts')
const { apiOk } = await import('./lib/http.ts')
const { SUPERUSER_EMAIL, SUPERUSER_PASSWORD } = await import('./lib/data.ts')

const log = (m: string) => console.error(`[bench:overload] ${m}`)

/** The kernel's count of connections dropped because an accept queue was full (Linux; null elsewhere). */
function listenOverflows(): number | null {
  try {
    const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n').filter((l) => l.startsWith('TcpExt:'))
    const names = lines[0].split(/\s+/)
    const values = lines[1].split(/\s+/)
    const i = names.indexOf('ListenOverflows')
    return i < 0 ? null : Number(values[i])
  } catch {
    return null
  }
}

interface Outcome { ok: number[]; shed: number[]; other: Record<number, number>; timeouts: number; errors: number; sent: number; connections: number }

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

/** Offers `rate` requests/s for `seconds`, open loop; each request's latency is recorded by status. */
async function openLoop(url: string, path: string, tokens: string[], rate: number, seconds: number): Promise<Outcome> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4000 })
  const target = new URL(url)
  const out: Outcome = { ok: [], shed: [], other: {}, timeouts: 0, errors: 0, sent: 0, connections: 0 }
  const pending = new Set<Promise<void>>()
  const one = (token: string) => new Promise<void>((resolve) => {
    const start = performance.now()
    const req = http.request({ host: target.hostname, port: target.port, path, agent, headers: { authorization: token }, timeout: CLIENT_TIMEOUT_MS }, (res) => {
      res.resume()
      res.on('end', () => {
        const ms = performance.now() - start
        if (res.statusCode === 200) out.ok.push(ms)
        else if (res.statusCode === 503) out.shed.push(ms)
        else out.other[res.statusCode ?? 0] = (out.other[res.statusCode ?? 0] ?? 0) + 1
        resolve()
      })
    })
    req.on('socket', (s) => { if (s.connecting) out.connections++ })
    req.on('timeout', () => { out.timeouts++; req.destroy(); resolve() })
    req.on('error', () => { out.errors++; resolve() })
    req.end()
  })
  const started = performance.now()
  let i = 0
  await new Promise<void>((done) => {
    const tick = setInterval(() => {
      const elapsed = (performance.now() - started) / 1000
      if (elapsed >= seconds) { clearInterval(tick); done(); return }
      const due = Math.floor(elapsed * rate)
      for (; out.sent < due; out.sent++) {
        const p = one(tokens[i++ % tokens.length])
        pending.add(p)
        void p.then(() => pending.delete(p))
      }
    }, 5)
  })
  await Promise.all(pending)
  agent.destroy()
  return out
}

const t = await startBasalt('sqlite')
try {
  const pid = t.servers[0].pid
  // On a small machine the generator must not compete with the server for the same cores: pin the server
  // (all its threads) to the last CPU and this process to the others, when there are at least two.
  const cpus = os.availableParallelism()
  if (cpus >= 2 && process.env.BENCH_OVERLOAD_PIN !== '0') {
    execFileSync('taskset', ['-a', '-pc', String(cpus - 1), String(pid)], { stdio: 'ignore' })
    execFileSync('taskset', ['-a', '-pc', `0-${cpus - 2}`, String(process.pid)], { stdio: 'ignore' })
    log(`server pinned to CPU ${cpus - 1}, load generator to CPU 0-${cpus - 2}`)
  }
  const { requests, url } = list.build(t)
  const sustained = await runLoad({ url, requests }, cfg)
  log(`sustainable (closed loop, ${cfg.connections} connections): ${sustained.rps.toFixed(0)} req/s, p99 ${sustained.p99} ms`)
  const rate = Math.round(sustained.rps * FACTOR)
  const path = '/api/collections/posts/records?page=1&perPage=50&sort=-created'
  const cpu0 = cpuMs(pid)
  // Every second: requests in flight and event-loop lag as the server sees them (/api/metrics is never shed).
  const su = await apiOk<{ token: string }>(t.url, 'POST', '/api/collections/_superusers/auth-with-password', { identity: SUPERUSER_EMAIL, password: SUPERUSER_PASSWORD })
  // Refusals while the load was sustainable would be false alarms (a busy closed loop is not overload).
  const shedSustainable = await fetch(`${t.url}/api/metrics`, { headers: { authorization: su.token } }).then((r) => r.text()).then((m) => Number(/^basalt_http_requests_shed_total (\S+)/m.exec(m)?.[1]))
  const samples: string[] = []
  const sampler = setInterval(() => {
    fetch(`${t.url}/api/metrics`, { headers: { authorization: su.token } }).then((r) => r.text()).then((m) => {
      const v = (re: RegExp) => Number(re.exec(m)?.[1] ?? NaN)
      samples.push(`inFlight=${v(/^basalt_http_requests_in_flight (\S+)/m)} lagMaxMs=${(v(/^nodejs_eventloop_lag_max_seconds (\S+)/m) * 1000).toFixed(0)} shed=${v(/^basalt_http_requests_shed_total (\S+)/m)}`)
    }).catch(() => samples.push('metrics: no answer'))
  }, 1000)
  // The generator's own lag: if it were saturated, latencies would be its queue, not the server's.
  const generatorLag = monitorEventLoopDelay({ resolution: 10 })
  generatorLag.enable()
  const overflows0 = listenOverflows()
  const o = await openLoop(t.url, path, t.users.map((u) => u.token), rate, cfg.duration)
  clearInterval(sampler)
  generatorLag.disable()
  const overflows = overflows0 === null ? null : (listenOverflows() ?? 0) - overflows0
  log(`server view each second: ${samples.join(' | ')}`)
  const cpu = cpuMs(pid) - cpu0
  const ok = [...o.ok].sort((a, b) => a - b)
  const shed = [...o.shed].sort((a, b) => a - b)
  const p99 = percentile(ok, 99)
  const rows = [
    `| offered | ${rate} req/s (${FACTOR}× ${sustained.rps.toFixed(0)}) for ${cfg.duration} s, ${o.sent} requests |`,
    `| answered 2xx | ${o.ok.length} (${(o.ok.length / cfg.duration).toFixed(0)}/s), p50 ${percentile(ok, 50).toFixed(0)} ms, **p99 ${p99.toFixed(0)} ms** ${p99 < 1000 ? '✅' : '❌'} (target < 1000) |`,
    `| answered 2xx later than 1 s | ${ok.filter((ms) => ms > 1000).length} |`,
    `| shed 503 | ${o.shed.length}, p99 ${percentile(shed, 99).toFixed(0)} ms (the late ones waited in the accept queue) |`,
    `| shed during the sustainable closed-loop run (false alarms) | ${shedSustainable} |`,
    `| other status / client timeouts (${CLIENT_TIMEOUT_MS / 1000} s) / socket errors | ${JSON.stringify(o.other)} / ${o.timeouts} / ${o.errors} |`,
    `| connections opened by the generator / kernel accept-queue overflows | ${o.connections} / ${overflows ?? 'n/a'} |`,
    `| generator event-loop lag p99 | ${(generatorLag.percentile(99) / 1e6).toFixed(0)} ms |`,
    `| server CPU | ${(cpu / 1000).toFixed(1)} s over ${cfg.duration} s |`,
  ]
  console.log(`\n## Overload (SQLite, list scenario)\n\n| | |\n|---|---|\n${rows.join('\n')}\n`)
} finally {
  await t.stop()
  killAll()
}
