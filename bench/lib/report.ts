// Markdown report: scenario table (Basalt vs baseline), memory, realtime, sanity-check problems.
import { cpus } from 'node:os';
import type { LoadStats } from './load.ts';
import type { RealtimeStats } from '../realtime.ts';
import type { Scenario } from '../scenarios/index.ts';
import type { TargetName } from './targets.ts';
import type { Mem } from './proc.ts';

export const TARGETS = { p99Ms: 50, rssMb: 200, realtimeP99Ms: 250 };

export interface TargetResult {
  name: TargetName;
  error?: string;
  checks: string[];
  seedMs?: number;
  scenarios: Record<string, LoadStats>;
  memAfterSeed?: Mem;
  memAfterHttp?: Mem;
  memWithSubscribers?: Mem;
  realtime?: RealtimeStats;
}
export interface RunInfo {
  duration: number; warmup: number; connections: number; rounds: number; posts: number; users: number;
  started: Date; commit: string; loadavg: [number, number];
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

function cpuCell(a: LoadStats | undefined, b: LoadStats | undefined): string {
  const x = a?.cpuUsPerReq, y = b?.cpuUsPerReq;
  const cost = x !== undefined && y !== undefined && y > 0 ? ` (${(x / y).toFixed(2)}×)` : '';
  return `${f0(x)} / ${f0(y)}${cost}`;
}

export function renderReport(info: RunInfo, scenarios: Scenario[], results: TargetResult[], realtimeOn: boolean): string {
  const by = (n: TargetName) => results.find((r) => r.name === n);
  const basalt = by('basalt');
  const base = by('baseline');
  const out: string[] = [];
  out.push(`# Basalt benchmark — ${info.started.toISOString()}`, '');
  out.push(`Node ${process.version}, ${info.connections} connections, ${info.duration} s per scenario (+${info.warmup} s warm-up), ` +
    `${info.users} users / ${info.posts} posts, commit \`${info.commit}\`, ${cpus().length} CPUs, ` +
    `load average ${info.loadavg[0].toFixed(2)} → ${info.loadavg[1].toFixed(2)}` +
    (info.rounds > 1 ? `, median of ${info.rounds} interleaved rounds` : ', targets interleaved per scenario') + '.', '');
  const busy = info.loadavg[0] > cpus().length * 0.5;
  if (busy) {
    out.push(`> ⚠️ The machine was busy when the run started (load average ${info.loadavg[0].toFixed(2)} on ${cpus().length} CPUs): ` +
      'throughput and latency are noisy. The server-CPU-per-request column is the most robust comparison.', '');
  }
  out.push('| scenario | Basalt req/s | p50 ms | p99 ms | baseline req/s | p50 ms | p99 ms | Basalt/baseline | target | server CPU µs/req Basalt / baseline |');
  out.push('|---|---:|---:|---:|---:|---:|---:|---:|---|---:|');
  for (const sc of scenarios) {
    const a = basalt?.scenarios[sc.name];
    const b = base?.scenarios[sc.name];
    if (!a && !b) continue;
    const ratio = a && b && b.rps > 0 ? a.rps / b.rps : undefined;
    const ratioOk = ratio === undefined || sc.minRatio === undefined ? undefined : ratio >= sc.minRatio;
    const p99Ok = a ? a.p99 < TARGETS.p99Ms : undefined;
    const target = [sc.minRatio !== undefined ? `ratio ≥ ${sc.minRatio}` : '', `p99 < ${TARGETS.p99Ms} ms`].filter(Boolean).join(', ');
    out.push(`| ${sc.name} | ${f0(a?.rps)}${errNote(a)} | ${f1(a?.p50)} | ${f1(a?.p99)}${mark(p99Ok)} | ` +
      `${f0(b?.rps)}${errNote(b)} | ${f1(b?.p50)} | ${f1(b?.p99)} | ${f2(ratio)}${mark(ratioOk)} | ${target} | ${cpuCell(a, b)} |`);
  }
  out.push('');
  out.push('| memory (server process VmRSS) | Basalt MB | baseline MB | target |', '|---|---:|---:|---|');
  const memRow = (label: string, pick: (r: TargetResult | undefined) => number | undefined, target = '') => {
    const a = pick(basalt);
    out.push(`| ${label} | ${f0(a)}${target && a !== undefined ? mark(a < TARGETS.rssMb) : ''} | ${f0(pick(base))} | ${target} |`);
  };
  memRow('after seeding (idle)', (r) => r?.memAfterSeed?.rss);
  memRow('peak during seeding (VmHWM)', (r) => r?.memAfterSeed?.peak);
  memRow('after HTTP scenarios', (r) => r?.memAfterHttp?.rss, `< ${TARGETS.rssMb} MB`);
  if (realtimeOn) memRow('with realtime subscribers connected', (r) => r?.memWithSubscribers?.rss, `< ${TARGETS.rssMb} MB`);
  memRow('peak overall (VmHWM)', (r) => {
    const peaks = [r?.memAfterHttp?.peak, r?.memWithSubscribers?.peak].filter((x): x is number => x !== undefined);
    return peaks.length ? Math.max(...peaks) : undefined;
  });
  for (const r of results) {
    const kids = r.memWithSubscribers?.children ?? r.memAfterHttp?.children ?? [];
    if (kids.length) out.push('', `${r.name} child processes (not included above): ${kids.join(', ')}`);
  }
  out.push('');
  if (realtimeOn) {
    out.push('| realtime (posts/* SSE) | subscribers | creates | delivered / expected | p50 ms | p99 ms | max ms | create p50 ms | target |');
    out.push('|---|---:|---:|---:|---:|---:|---:|---:|---|');
    for (const r of [basalt, base]) {
      const rt = r?.realtime;
      if (!rt) continue;
      const ok = r!.name === 'basalt' ? mark(rt.p99 < TARGETS.realtimeP99Ms && rt.delivered === rt.expected) : '';
      out.push(`| ${r!.name} | ${rt.subscribed}/${rt.subscribers} | ${rt.creates} | ${rt.delivered} / ${rt.expected} | ` +
        `${f1(rt.p50)} | ${f1(rt.p99)}${ok} | ${f1(rt.max)} | ${f1(rt.createP50)} | p99 < ${TARGETS.realtimeP99Ms} ms, all delivered |`);
    }
    out.push('');
  }
  for (const r of results) {
    if (r.seedMs !== undefined) out.push(`- ${r.name}: seeding took ${(r.seedMs / 1000).toFixed(1)} s.`);
    if (r.error) out.push(`- **${r.name} failed:** ${r.error.split('\n')[0]}`);
    for (const c of r.checks) out.push(`- ${r.name} sanity check: ${c}`);
    for (const e of r.realtime?.errors.slice(0, 5) ?? []) out.push(`- ${r.name} realtime: ${e}`);
  }
  return out.join('\n') + '\n';
}
