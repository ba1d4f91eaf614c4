// Markdown report: one scenario table (baseline, Basalt on SQLite, Basalt on PostgreSQL ×1 / ×2 as rows per
// scenario), memory per node, realtime (incl. across 3 nodes), sanity-check problems.
import { cpus } from 'node:os';
import type { LoadStats } from './load.ts';
import type { RealtimeStats } from '../realtime.ts';
import type { Scenario } from '../scenarios/index.ts';
import { LABELS, type TargetName } from './targets.ts';
import type { Mem } from './proc.ts';

export const TARGETS = { p99Ms: 50, rssMb: 200, realtimeP99Ms: 250, clusterRealtimeP99Ms: 500 };

export interface TargetResult {
  name: TargetName;
  error?: string;
  checks: string[];
  seedMs?: number;
  scenarios: Record<string, LoadStats>;
  /** One entry per node. */
  memAfterSeed?: Mem[];
  memAfterHttp?: Mem[];
  memWithSubscribers?: Mem[];
  realtime?: RealtimeStats;
}
export interface RunInfo {
  duration: number; warmup: number; connections: number; rounds: number; posts: number; users: number;
  started: Date; commit: string; loadavg: [number, number];
  /** Legs not run, with the reason (shown right under the header). */
  notes: string[];
  /** Redacted PostgreSQL/Redis endpoints used by the PG legs. */
  pgInfo?: string;
  totalSeconds?: number;
}

const f0 = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? '—' : Math.round(n).toLocaleString('en-US'));
const f1 = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? '—' : n.toFixed(1));
const f2 = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? '—' : n.toFixed(2));
const mark = (ok: boolean | undefined) => (ok === undefined ? '' : ok ? ' ✅' : ' ❌');

function errNote(s: LoadStats | undefined): string {
  if (!s || (s.non2xx === 0 && s.errors === 0)) return '';
  const codes = Object.entries(s.statusCodes).filter(([c]) => !c.startsWith('2')).map(([c, n]) => `${n}×${c}`);
  return ` ⚠️ ${[...codes, s.errors ? `${s.errors} errors` : ''].filter(Boolean).join(', ')}`;
}

const totalCpu = (s: LoadStats | undefined) =>
  s?.cpuUsPerReq === undefined ? undefined : s.cpuUsPerReq + (s.dbCpuUsPerReq ?? 0);

const ORDER: TargetName[] = ['baseline', 'sqlite', 'pg-1', 'pg-2'];

export function renderReport(info: RunInfo, scenarios: Scenario[], results: TargetResult[], realtimeOn: boolean): string {
  const by = (n: TargetName) => results.find((r) => r.name === n);
  const present = ORDER.filter((n) => by(n));
  const out: string[] = [];
  out.push(`# Basalt benchmark — ${info.started.toISOString()}`, '');
  out.push(`Node ${process.version}, ${info.connections} connections, ${info.duration} s per scenario (+${info.warmup} s warm-up), ` +
    `${info.users} users / ${info.posts} posts, commit \`${info.commit}\`, ${cpus().length} CPUs, ` +
    `load average ${info.loadavg[0].toFixed(2)} → ${info.loadavg[1].toFixed(2)}` +
    (info.rounds > 1 ? `, median of ${info.rounds} interleaved rounds` : ', targets interleaved per scenario') +
    (info.totalSeconds !== undefined ? `, total run ${Math.round(info.totalSeconds)} s` : '') + '.', '');
  if (info.pgInfo) out.push(info.pgInfo, '');
  for (const n of info.notes) out.push(`> ⚠️ ${n}`, '');
  const busy = info.loadavg[0] > cpus().length * 0.5;
  if (busy) {
    out.push(`> ⚠️ The machine was busy when the run started (load average ${info.loadavg[0].toFixed(2)} on ${cpus().length} CPUs): ` +
      'throughput and latency are noisy. The server-CPU-per-request columns are the most robust comparison.', '');
  }

  out.push('| scenario | target | req/s | p50 ms | p99 ms | throughput ratio | target | CPU µs/req Basalt (all nodes) | + PostgreSQL | = total |');
  out.push('|---|---|---:|---:|---:|---|---|---:|---:|---:|');
  const base = by('baseline');
  const sqlite = by('sqlite');
  const pg1 = by('pg-1');
  for (const sc of scenarios) {
    const b = base?.scenarios[sc.name];
    const q = sqlite?.scenarios[sc.name];
    const p1 = pg1?.scenarios[sc.name];
    for (const name of present) {
      const s = by(name)!.scenarios[sc.name];
      if (!s) continue;
      const ratios: string[] = [];
      const targets: string[] = [];
      let costVs = '';
      if (name === 'sqlite') {
        const r = b && b.rps > 0 ? s.rps / b.rps : undefined;
        if (r !== undefined) ratios.push(`${f2(r)} × baseline${sc.minRatio !== undefined ? mark(r >= sc.minRatio) : ''}`);
        if (sc.minRatio !== undefined) targets.push(`≥ ${sc.minRatio} × baseline`);
        const cb = totalCpu(b), cs = totalCpu(s);
        if (cb && cs !== undefined) costVs = ` (${f2(cs / cb)}× baseline)`;
      } else if (name === 'pg-1' || name === 'pg-2') {
        const r = q && q.rps > 0 ? s.rps / q.rps : undefined;
        const ok = name === 'pg-1' && sc.pgMinRatio !== undefined && r !== undefined ? mark(r >= sc.pgMinRatio) : '';
        if (r !== undefined) ratios.push(`${f2(r)} × SQLite${ok}`);
        if (name === 'pg-1' && sc.pgMinRatio !== undefined) targets.push(`≥ ${sc.pgMinRatio} × SQLite`);
        if (name === 'pg-2' && p1 && p1.rps > 0) ratios.push(`${f2(s.rps / p1.rps)} × PG ×1`);
        const cq = totalCpu(q), cs = totalCpu(s);
        if (cq && cs !== undefined) costVs = ` (${f2(cs / cq)}× SQLite)`;
      }
      if (name !== 'baseline') targets.push(`p99 < ${TARGETS.p99Ms} ms`);
      const p99Mark = name === 'baseline' ? '' : mark(s.p99 < TARGETS.p99Ms);
      const label = LABELS[name] + (s.instances > 1 ? ` (${s.instances} × ${Math.round(info.connections / s.instances)} conn.)` : '');
      out.push(`| ${sc.name} | ${label} | ${f0(s.rps)}${errNote(s)} | ${f1(s.p50)} | ${f1(s.p99)}${p99Mark} | ` +
        `${ratios.join(', ') || '—'} | ${targets.join(', ') || '—'} | ${f0(s.cpuUsPerReq)} | ` +
        `${s.dbCpuUsPerReq === undefined ? '—' : f0(s.dbCpuUsPerReq)} | ${f0(totalCpu(s))}${costVs} |`);
    }
  }
  out.push('');
  if (present.some((n) => n === 'pg-2')) {
    out.push('PG ×2: two autocannon instances in parallel, one per node, each with half the connections; req/s is their sum, ' +
      'p50/p99 the worse instance\'s. CPU columns: Basalt = sum over the nodes; PostgreSQL = the backends serving the ' +
      'bench database (WAL writer/checkpointer not included).', '');
  }

  const memCell = (ms: Mem[] | undefined, target: boolean) => {
    if (!ms?.length) return '—';
    const cell = ms.map((m) => f0(m.rss)).join(' + ');
    return target ? cell + mark(ms.every((m) => m.rss < TARGETS.rssMb)) : cell;
  };
  const peakCell = (ms: Mem[] | undefined) => (ms?.length ? ms.map((m) => f0(m.peak)).join(' + ') : '—');
  out.push(`| memory (server VmRSS per node, MB) | ${present.map((n) => LABELS[n]).join(' | ')} | target |`);
  out.push(`|---|${present.map(() => '---:').join('|')}|---|`);
  const memRow = (label: string, pick: (r: TargetResult) => string, target = '') =>
    out.push(`| ${label} | ${present.map((n) => pick(by(n)!)).join(' | ')} | ${target} |`);
  memRow('after seeding (idle)', (r) => memCell(r.memAfterSeed, false));
  memRow('peak during seeding (VmHWM)', (r) => peakCell(r.memAfterSeed));
  memRow('after HTTP scenarios', (r) => memCell(r.memAfterHttp, r.name !== 'baseline'), `< ${TARGETS.rssMb} MB`);
  if (realtimeOn) memRow('with realtime subscribers connected', (r) => memCell(r.memWithSubscribers, r.name !== 'baseline'), `< ${TARGETS.rssMb} MB`);
  memRow('peak overall (VmHWM)', (r) => peakCell(r.memWithSubscribers ?? r.memAfterHttp));
  for (const r of results) {
    const kids = (r.memWithSubscribers ?? r.memAfterHttp ?? []).flatMap((m) => m.children);
    if (kids.length) out.push('', `${LABELS[r.name]} child processes (not included above): ${kids.join(', ')}`);
  }
  out.push('');

  if (realtimeOn) {
    out.push('| realtime (posts/* SSE) | nodes | subscribers | creates | delivered / expected | p50 ms | p99 ms | max ms | create p50 ms | target |');
    out.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---|');
    for (const name of present) {
      const rt = by(name)!.realtime;
      if (!rt) continue;
      const limit = rt.nodes > 1 ? TARGETS.clusterRealtimeP99Ms : TARGETS.realtimeP99Ms;
      const ok = name === 'baseline' ? '' : mark(rt.p99 < limit && rt.delivered === rt.expected);
      const label = name === 'pg-2' ? `Basalt PG ×${rt.nodes} + Redis (creates via node 1)` : LABELS[name];
      out.push(`| ${label} | ${rt.nodes} | ${rt.subscribed}/${rt.subscribers} | ${rt.creates} | ${rt.delivered} / ${rt.expected} | ` +
        `${f1(rt.p50)} | ${f1(rt.p99)}${ok} | ${f1(rt.max)} | ${f1(rt.createP50)} | p99 < ${limit} ms, all delivered |`);
    }
    out.push('');
  }
  for (const r of results) {
    if (r.seedMs !== undefined && !Number.isNaN(r.seedMs)) out.push(`- ${LABELS[r.name]}: seeding took ${(r.seedMs / 1000).toFixed(1)} s.`);
    if (r.error) out.push(`- **${LABELS[r.name]} failed:** ${r.error.split('\n')[0]}`);
    for (const c of r.checks) out.push(`- ${LABELS[r.name]} sanity check: ${c}`);
    for (const e of r.realtime?.errors.slice(0, 5) ?? []) out.push(`- ${LABELS[r.name]} realtime: ${e}`);
  }
  return out.join('\n') + '\n';
}
