// Benchmark orchestrator: start each target (baseline; Basalt on SQLite, PostgreSQL ×1, PostgreSQL ×2 + Redis),
// seed, sanity-check, load each scenario, realtime (PG: across 3 nodes), print + save report.
import { writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { SCENARIOS } from './scenarios/index.ts';
import { runLoad, type CpuMeter, type LoadConfig, type LoadStats } from './lib/load.ts';
import { cpuMs, memoryMb, killAll, removeTempDir, stopServer, tailLog, type Server } from './lib/proc.ts';
import { sanityCheck } from './lib/checks.ts';
import {
  basaltAvailable, BASALT_TARGETS, LABELS, REPO_ROOT, startBaseline, startBasalt, type PgShared, type Target, type TargetName,
} from './lib/targets.ts';
import { renderReport, type TargetResult } from './lib/report.ts';
import { runRealtime, type RealtimeConfig } from './realtime.ts';
import { POST_COUNT, USER_COUNT } from './lib/data.ts';
import { createBenchDb, pgBackendCpu, pgCpuDelta, PG_ADMIN_URL, probePg, probeRedis, redact, REDIS_URL } from './lib/pg.ts';

const env = process.env;
const num = (v: string | undefined, d: number) => (v === undefined || v === '' || Number.isNaN(Number(v)) ? d : Number(v));
const load: LoadConfig = {
  duration: num(env.BENCH_DURATION, 10),
  warmup: num(env.BENCH_WARMUP, 2),
  connections: num(env.BENCH_CONNECTIONS, 50),
};
const rtCfg: RealtimeConfig = {
  subscribers: num(env.BENCH_RT_SUBSCRIBERS, 1000),
  creates: num(env.BENCH_RT_CREATES, 20),
  gapMs: num(env.BENCH_RT_GAP_MS, 50),
  eventTimeoutMs: num(env.BENCH_RT_TIMEOUT_MS, 2000),
};
const rtNodes = Math.max(1, num(env.BENCH_RT_NODES, 3));
const rounds = Math.max(1, num(env.BENCH_ROUNDS, 1));
const only = new Set((env.BENCH_ONLY ?? '').split(',').map((s) => s.trim()).filter(Boolean));
const wanted = (name: string) => only.size === 0 || only.has(name);
const known = new Set([...SCENARIOS.map((s) => s.name), 'realtime']);
for (const o of only) if (!known.has(o)) { console.error(`BENCH_ONLY: unknown scenario "${o}" (known: ${[...known].join(',')})`); process.exit(2); }
const targetEnv = (env.BENCH_TARGET ?? 'both').toLowerCase();
if (!['both', 'basalt', 'baseline'].includes(targetEnv)) { console.error('BENCH_TARGET must be basalt, baseline or both'); process.exit(2); }
const storesExplicit = (env.BENCH_STORES ?? '').trim() !== '';
const stores = (storesExplicit ? env.BENCH_STORES! : BASALT_TARGETS.join(',')).split(',').map((s) => s.trim()).filter(Boolean);
for (const s of stores) if (!BASALT_TARGETS.includes(s as TargetName)) { console.error(`BENCH_STORES: unknown leg "${s}" (known: ${BASALT_TARGETS.join(',')})`); process.exit(2); }
const scenarios = SCENARIOS.filter((s) => wanted(s.name));
const realtimeOn = wanted('realtime') && rtCfg.subscribers > 0;

function log(msg: string): void {
  console.error(`[bench] ${msg}`);
}

interface Live { result: TargetResult; t?: Target }

async function startTarget(name: TargetName, pgs?: PgShared): Promise<Live> {
  const result: TargetResult = { name, checks: [], scenarios: {} };
  if (name !== 'baseline' && !basaltAvailable()) {
    result.error = 'bin/basalt.js not found — Basalt server not built yet';
    return { result };
  }
  try {
    log(`starting ${LABELS[name]}…`);
    const t = name === 'baseline' ? await startBaseline() : await startBasalt(name, name === 'sqlite' ? undefined : pgs);
    result.seedMs = t.seedMs;
    result.memAfterSeed = t.servers.map((s) => memoryMb(s.pid));
    return { result, t };
  } catch (e) {
    result.error = (e as Error).stack ?? String(e);
    log(`${name} FAILED to start: ${result.error}`);
    return { result };
  }
}

async function stopTarget(live: Live): Promise<void> {
  const t = live.t;
  if (!t) return;
  live.t = undefined;
  await t.stop();
  for (const d of t.dirs) {
    if (env.BENCH_KEEP === '1') log(`${t.name}: kept ${d}`);
    removeTempDir(d);
  }
}

/** Run `fn` for a live target; an exception marks the target failed and stops its servers. */
async function step(live: Live, what: string, fn: (t: Target) => Promise<void>): Promise<void> {
  const t = live.t;
  if (!t) return;
  try {
    await fn(t);
  } catch (e) {
    live.result.error = `${what}: ${(e as Error).stack ?? String(e)}`;
    log(`${t.name} FAILED during ${live.result.error}`);
    for (const s of t.servers) log(`${t.name} server ${s.url} log tail:\n${tailLog(s.logFile)}`);
    await stopTarget(live);
  }
}

/** Server CPU summed over the target's nodes, plus its PostgreSQL backends' CPU (pg legs, same host only). */
function meter(t: Target): CpuMeter {
  const serverMs = () => t.servers.reduce((s, srv) => s + cpuMs(srv.pid), 0);
  return () => {
    const s0 = serverMs();
    const d0 = t.pgDb ? pgBackendCpu(t.pgDb) : undefined;
    return () => ({ serverMs: serverMs() - s0, dbMs: d0 && t.pgDb ? pgCpuDelta(d0, pgBackendCpu(t.pgDb)) : NaN });
  };
}

const median = (xs: LoadStats[]) => [...xs].sort((a, b) => a.rps - b.rps)[Math.floor((xs.length - 1) / 2)];

async function benchAll(lives: Live[]): Promise<void> {
  for (const live of lives) {
    await step(live, 'sanity check', async (t) => {
      for (const [i, url] of t.urls.entries()) {
        const problems = await sanityCheck(t, url);
        const prefix = t.urls.length > 1 ? `node ${i + 1}: ` : '';
        live.result.checks.push(...problems.map((p) => prefix + p));
      }
      for (const c of live.result.checks) log(`${t.name} sanity check: ${c}`);
    });
  }
  // Interleave targets per scenario (alternating order each round) so machine noise hits all alike.
  for (const sc of scenarios) {
    const runs = new Map<Live, LoadStats[]>();
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? lives : [...lives].reverse();
      for (const live of order) {
        await step(live, sc.name, async (t) => {
          log(`${t.name}: ${sc.name} (${load.duration} s, ${load.connections} connections over ${t.urls.length} node(s), round ${round + 1}/${rounds})…`);
          const s = await runLoad(sc.build(t), load, meter(t), t.urls);
          runs.set(live, [...(runs.get(live) ?? []), s]);
          log(`${t.name}: ${sc.name} → ${Math.round(s.rps)} req/s, p50 ${s.p50} ms, p99 ${s.p99} ms` +
            `, CPU ${s.cpuUsPerReq?.toFixed(0)} µs/req` + (s.dbCpuUsPerReq !== undefined ? ` + postgres ${s.dbCpuUsPerReq.toFixed(0)}` : '') +
            (s.non2xx || s.errors ? `, non-2xx ${s.non2xx}, errors ${s.errors} ${JSON.stringify(s.statusCodes)}` : ''));
        });
      }
    }
    for (const [live, xs] of runs) live.result.scenarios[sc.name] = median(xs);
  }
  for (const live of lives) {
    await step(live, 'memory', async (t) => {
      live.result.memAfterHttp = t.servers.map((s) => memoryMb(s.pid));
      log(`${t.name}: RSS ${live.result.memAfterHttp.map((m) => m.rss.toFixed(1)).join(' + ')} MB`);
    });
  }
  if (!realtimeOn) return;
  for (const live of lives) {
    await step(live, 'realtime', async (t) => {
      // PG ×2 + Redis: realtime runs across BENCH_RT_NODES (3) nodes — start the missing ones on the same cluster.
      const extra: Server[] = [];
      try {
        if (t.addNode) while (t.urls.length + extra.length < rtNodes) extra.push(await t.addNode());
        const servers = [...t.servers, ...extra];
        const urls = servers.map((s) => s.url);
        log(`${t.name}: realtime with ${rtCfg.subscribers} subscribers over ${urls.length} node(s), ${rtCfg.creates} creates…`);
        const rt = await runRealtime(t, rtCfg, () => { live.result.memWithSubscribers = servers.map((s) => memoryMb(s.pid)); }, urls);
        live.result.realtime = rt;
        log(`${t.name}: realtime delivered ${rt.delivered}/${rt.expected}, p50 ${rt.p50.toFixed(1)} ms, p99 ${rt.p99.toFixed(1)} ms, max ${rt.max.toFixed(1)} ms`);
      } finally {
        await Promise.all(extra.map((s) => stopServer(s)));
      }
    });
  }
}

function gitCommit(): string {
  try { return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim(); } catch { return 'unknown'; }
}

async function main(): Promise<void> {
  const started = new Date();
  const loadBefore = loadavg()[0];
  const notes: string[] = [];
  let names: TargetName[] = [];
  if (targetEnv !== 'basalt') names.push('baseline');
  if (targetEnv !== 'baseline') names.push(...BASALT_TARGETS.filter((n) => stores.includes(n)));

  // PostgreSQL legs need PostgreSQL; pg-2 (and realtime across nodes) needs Redis too. Unreachable → skipped, visibly.
  let pgs: PgShared | undefined;
  let pgInfo: string | undefined;
  if (names.some((n) => n === 'pg-1' || n === 'pg-2')) {
    const pgDown = await probePg();
    const redisDown = names.includes('pg-2') ? await probeRedis() : null;
    const skip = (n: TargetName, why: string) => {
      if (!names.includes(n)) return;
      names = names.filter((x) => x !== n);
      notes.push(`${LABELS[n]} skipped: ${why}` + (storesExplicit ? '' : ' (set BENCH_STORES=sqlite to silence this).'));
      log(`${n} skipped: ${why}`);
    };
    if (pgDown) { skip('pg-1', pgDown); skip('pg-2', pgDown); }
    else if (redisDown) skip('pg-2', redisDown);
    if (names.some((n) => n === 'pg-1' || n === 'pg-2')) {
      const db = await createBenchDb();
      pgs = { db };
      log(`created database ${db.name} (Redis prefix ${db.redisPrefix})`);
      pgInfo = `PostgreSQL legs: fresh database \`${db.name}\` on ${redact(PG_ADMIN_URL).replace(/\/[^/]*$/, '')}` +
        (names.includes('pg-2') ? `, Redis ${redact(REDIS_URL)} (prefix \`${db.redisPrefix}\`)` : '') +
        `; pool size ${env.BASALT_PG_POOL_SIZE ?? 10} per node; same seed and rules as SQLite.`;
    }
  }

  const lives: Live[] = [];
  try {
    for (const name of names) lives.push(await startTarget(name, pgs));
    await benchAll(lives);
  } finally {
    for (const live of lives) await stopTarget(live);
    if (pgs) await pgs.db.drop().catch((e) => log(`could not drop ${pgs!.db.name}: ${(e as Error).message}`));
  }
  const results = lives.map((l) => l.result);
  const report = renderReport({
    ...load, rounds, posts: POST_COUNT, users: USER_COUNT, started, commit: gitCommit(),
    loadavg: [loadBefore, loadavg()[0]], notes, pgInfo, totalSeconds: (Date.now() - started.getTime()) / 1000,
  }, scenarios, results, realtimeOn);
  process.stdout.write('\n' + report);
  writeFileSync(join(REPO_ROOT, 'bench/last-run.md'), report);
  log('report written to bench/last-run.md');
  killAll();
  process.exitCode = results.some((r) => r.error && !(r.name !== 'baseline' && !basaltAvailable())) ? 1 : 0;
}

main().catch((e) => { console.error(e); killAll(); process.exit(1); });
