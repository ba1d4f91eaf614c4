// Benchmark orchestrator: start each target, seed, sanity-check, load each scenario, realtime, print + save report.
import { writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { SCENARIOS } from './scenarios/index.ts';
import { runLoad, type LoadConfig, type LoadStats } from './lib/load.ts';
import { cpuMs, memoryMb, killAll, removeTempDir, tailLog } from './lib/proc.ts';
import { sanityCheck } from './lib/checks.ts';
import { basaltAvailable, REPO_ROOT, startBaseline, startBasalt, type Target, type TargetName } from './lib/targets.ts';
import { renderReport, type TargetResult } from './lib/report.ts';
import { runRealtime, type RealtimeConfig } from './realtime.ts';
import { POST_COUNT, USER_COUNT } from './lib/data.ts';

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
const rounds = Math.max(1, num(env.BENCH_ROUNDS, 1));
const only = new Set((env.BENCH_ONLY ?? '').split(',').map((s) => s.trim()).filter(Boolean));
const wanted = (name: string) => only.size === 0 || only.has(name);
const known = new Set([...SCENARIOS.map((s) => s.name), 'realtime']);
for (const o of only) if (!known.has(o)) { console.error(`BENCH_ONLY: unknown scenario "${o}" (known: ${[...known].join(',')})`); process.exit(2); }
const targetEnv = (env.BENCH_TARGET ?? 'both').toLowerCase();
if (!['both', 'basalt', 'baseline'].includes(targetEnv)) { console.error('BENCH_TARGET must be basalt, baseline or both'); process.exit(2); }
const targets: TargetName[] = targetEnv === 'both' ? ['baseline', 'basalt'] : [targetEnv as TargetName];
const scenarios = SCENARIOS.filter((s) => wanted(s.name));
const realtimeOn = wanted('realtime') && rtCfg.subscribers > 0;

function log(msg: string): void {
  console.error(`[bench] ${msg}`);
}

interface Live { result: TargetResult; t?: Target }

async function startTarget(name: TargetName): Promise<Live> {
  const result: TargetResult = { name, checks: [], scenarios: {} };
  if (name === 'basalt' && !basaltAvailable()) {
    result.error = 'bin/basalt.js not found — Basalt server not built yet';
    return { result };
  }
  try {
    log(`starting ${name}…`);
    const t = name === 'basalt' ? await startBasalt() : await startBaseline();
    result.seedMs = t.seedMs;
    result.memAfterSeed = memoryMb(t.server.pid);
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
  if (env.BENCH_KEEP === '1') log(`${t.name}: kept ${t.dir}`);
  removeTempDir(t.dir);
}

/** Run `fn` for a live target; an exception marks the target failed and stops its server. */
async function step(live: Live, what: string, fn: (t: Target) => Promise<void>): Promise<void> {
  const t = live.t;
  if (!t) return;
  try {
    await fn(t);
  } catch (e) {
    live.result.error = `${what}: ${(e as Error).stack ?? String(e)}`;
    log(`${t.name} FAILED during ${live.result.error}`);
    log(`${t.name} server log tail:\n${tailLog(t.server.logFile)}`);
    await stopTarget(live);
  }
}

const median = (xs: LoadStats[]) => [...xs].sort((a, b) => a.rps - b.rps)[Math.floor((xs.length - 1) / 2)];

async function benchAll(lives: Live[]): Promise<void> {
  for (const live of lives) {
    await step(live, 'sanity check', async (t) => {
      live.result.checks = await sanityCheck(t);
      for (const c of live.result.checks) log(`${t.name} sanity check: ${c}`);
    });
  }
  // Interleave targets per scenario (alternating order each round) so machine noise hits both alike.
  for (const sc of scenarios) {
    const runs = new Map<Live, LoadStats[]>();
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? lives : [...lives].reverse();
      for (const live of order) {
        await step(live, sc.name, async (t) => {
          log(`${t.name}: ${sc.name} (${load.duration} s, ${load.connections} connections, round ${round + 1}/${rounds})…`);
          const s = await runLoad(sc.build(t), load, () => cpuMs(t.server.pid));
          runs.set(live, [...(runs.get(live) ?? []), s]);
          log(`${t.name}: ${sc.name} → ${Math.round(s.rps)} req/s, p50 ${s.p50} ms, p99 ${s.p99} ms` +
            `, CPU ${s.cpuUsPerReq?.toFixed(0)} µs/req` + (s.non2xx || s.errors ? `, non-2xx ${s.non2xx}, errors ${s.errors} ${JSON.stringify(s.statusCodes)}` : ''));
        });
      }
    }
    for (const [live, xs] of runs) live.result.scenarios[sc.name] = median(xs);
  }
  for (const live of lives) {
    await step(live, 'memory', async (t) => {
      live.result.memAfterHttp = memoryMb(t.server.pid);
      log(`${t.name}: RSS ${live.result.memAfterHttp.rss.toFixed(1)} MB; children: ${live.result.memAfterHttp.children.join(', ') || 'none'}`);
    });
  }
  if (!realtimeOn) return;
  for (const live of lives) {
    await step(live, 'realtime', async (t) => {
      log(`${t.name}: realtime with ${rtCfg.subscribers} subscribers, ${rtCfg.creates} creates…`);
      const rt = await runRealtime(t, rtCfg, () => { live.result.memWithSubscribers = memoryMb(t.server.pid); });
      live.result.realtime = rt;
      log(`${t.name}: realtime delivered ${rt.delivered}/${rt.expected}, p50 ${rt.p50.toFixed(1)} ms, p99 ${rt.p99.toFixed(1)} ms, max ${rt.max.toFixed(1)} ms`);
    });
  }
}

function gitCommit(): string {
  try { return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim(); } catch { return 'unknown'; }
}

async function main(): Promise<void> {
  const started = new Date();
  const loadBefore = loadavg()[0];
  const lives: Live[] = [];
  for (const name of targets) lives.push(await startTarget(name));
  try {
    await benchAll(lives);
  } finally {
    for (const live of lives) await stopTarget(live);
  }
  const results = lives.map((l) => l.result);
  const report = renderReport({
    ...load, rounds, posts: POST_COUNT, users: USER_COUNT, started, commit: gitCommit(),
    loadavg: [loadBefore, loadavg()[0]],
  }, scenarios, results, realtimeOn);
  process.stdout.write('\n' + report);
  writeFileSync(join(REPO_ROOT, 'bench/last-run.md'), report);
  log('report written to bench/last-run.md');
  killAll();
  process.exitCode = results.some((r) => r.error && !(r.name === 'basalt' && !basaltAvailable())) ? 1 : 0;
}

main().catch((e) => { console.error(e); killAll(); process.exit(1); });
