// Benchmark orchestrator: start each target, seed, sanity-check, load each scenario, realtime, print + save report.
import { writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { SCENARIOS } from './scenarios/index.ts';
import { runLoad, type LoadConfig } from './lib/load.ts';
import { memoryMb, killAll, removeTempDir, tailLog } from './lib/proc.ts';
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

async function benchTarget(name: TargetName): Promise<TargetResult> {
  const result: TargetResult = { name, checks: [], scenarios: {} };
  if (name === 'basalt' && !basaltAvailable()) {
    result.error = 'bin/basalt.js not found — Basalt server not built yet';
    return result;
  }
  let t: Target | undefined;
  try {
    log(`starting ${name}…`);
    t = name === 'basalt' ? await startBasalt() : await startBaseline();
    result.seedMs = t.seedMs;
    result.checks = await sanityCheck(t);
    for (const c of result.checks) log(`${name} sanity check: ${c}`);
    for (const sc of scenarios) {
      log(`${name}: ${sc.name} (${load.duration} s, ${load.connections} connections)…`);
      const s = await runLoad(sc.build(t), load);
      result.scenarios[sc.name] = s;
      log(`${name}: ${sc.name} → ${Math.round(s.rps)} req/s, p50 ${s.p50} ms, p99 ${s.p99} ms` +
        (s.non2xx || s.errors ? `, non-2xx ${s.non2xx}, errors ${s.errors} ${JSON.stringify(s.statusCodes)}` : ''));
    }
    result.memAfterHttp = memoryMb(t.server.pid);
    log(`${name}: RSS ${result.memAfterHttp.rss.toFixed(1)} MB; children: ${result.memAfterHttp.children.join(', ') || 'none'}`);
    if (realtimeOn) {
      log(`${name}: realtime with ${rtCfg.subscribers} subscribers, ${rtCfg.creates} creates…`);
      const target = t;
      result.realtime = await runRealtime(t, rtCfg, () => { result.memWithSubscribers = memoryMb(target.server.pid); });
      const rt = result.realtime;
      log(`${name}: realtime delivered ${rt.delivered}/${rt.expected}, p50 ${rt.p50?.toFixed(1)} ms, p99 ${rt.p99?.toFixed(1)} ms, max ${rt.max?.toFixed(1)} ms`);
    }
  } catch (e) {
    result.error = (e as Error).stack ?? String(e);
    log(`${name} FAILED: ${result.error}`);
    if (t) log(`${name} server log tail:\n${tailLog(t.server.logFile)}`);
  } finally {
    if (t) await t.stop();
    if (t) {
      removeTempDir(t.dir);
      if (env.BENCH_KEEP === '1') log(`${name}: kept ${t.dir}`);
    }
  }
  return result;
}

function gitCommit(): string {
  try { return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim(); } catch { return 'unknown'; }
}

async function main(): Promise<void> {
  const started = new Date();
  const results: TargetResult[] = [];
  for (const name of targets) results.push(await benchTarget(name));
  const report = renderReport(
    { ...load, posts: POST_COUNT, users: USER_COUNT, started, commit: gitCommit() }, scenarios, results, realtimeOn);
  process.stdout.write('\n' + report);
  writeFileSync(join(REPO_ROOT, 'bench/last-run.md'), report);
  log('report written to bench/last-run.md');
  killAll();
  process.exitCode = results.some((r) => r.error && !(r.name === 'basalt' && !basaltAvailable())) ? 1 : 0;
}

main().catch((e) => { console.error(e); killAll(); process.exit(1); });
