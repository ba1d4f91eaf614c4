// autocannon wrapper: optional warm-up, then a measured run summarised as req/s + latency percentiles.
// Several nodes: one autocannon instance per node, run in parallel, connections split evenly.
import autocannon, { type Options, type Result } from 'autocannon';

export interface LoadStats {
  rps: number; p50: number; p99: number; max: number; total: number;
  non2xx: number; errors: number; timeouts: number; statusCodes: Record<string, number>;
  /** Server CPU time per completed request (µs), summed over the target's nodes, when a CPU meter was given. */
  cpuUsPerReq?: number;
  /** CPU of the PostgreSQL backends serving the bench database per request (µs), when readable. */
  dbCpuUsPerReq?: number;
  /** Number of parallel autocannon instances (= nodes); p50/p99/max are then the worst instance's. */
  instances: number;
}

export interface LoadConfig { duration: number; warmup: number; connections: number }

/** `start()` snapshots CPU counters; the returned function gives CPU ms spent since (server nodes, database). */
export type CpuMeter = () => () => { serverMs: number; dbMs: number };

export function summarize(r: Result): LoadStats {
  const statusCodes: Record<string, number> = {};
  for (const [code, v] of Object.entries(r.statusCodeStats ?? {})) statusCodes[code] = v.count;
  const ok = r['2xx'] ?? 0;
  return {
    rps: r.duration > 0 ? ok / r.duration : 0,
    p50: r.latency.p50, p99: r.latency.p99, max: r.latency.max, total: r.requests.total,
    non2xx: r.non2xx, errors: r.errors, timeouts: r.timeouts, statusCodes, instances: 1,
  };
}

/** Sum of throughput and counts; worst p50 / p99 / max (autocannon exposes percentiles, not mergeable histograms). */
export function combine(parts: LoadStats[]): LoadStats {
  if (parts.length === 1) return parts[0];
  const statusCodes: Record<string, number> = {};
  for (const p of parts) for (const [c, n] of Object.entries(p.statusCodes)) statusCodes[c] = (statusCodes[c] ?? 0) + n;
  const sum = (k: 'rps' | 'total' | 'non2xx' | 'errors' | 'timeouts') => parts.reduce((s, p) => s + p[k], 0);
  const worst = (k: 'p50' | 'p99' | 'max') => Math.max(...parts.map((p) => p[k]));
  return {
    rps: sum('rps'), total: sum('total'), non2xx: sum('non2xx'), errors: sum('errors'), timeouts: sum('timeouts'),
    p50: worst('p50'), p99: worst('p99'), max: worst('max'), statusCodes, instances: parts.length,
  };
}

async function runParallel(opts: Omit<Options, 'duration' | 'connections'>, urls: string[], connections: number, duration: number): Promise<LoadStats> {
  const per = Math.max(1, Math.round(connections / urls.length));
  const results = await Promise.all(urls.map((url) => autocannon({ ...opts, url, connections: per, duration })));
  return combine(results.map(summarize));
}

/**
 * Load `urls` (default: `opts.url`) for `cfg.duration` s after a warm-up. The scenario's request builders
 * (shared closures) feed every instance. `meter` samples server (+ database) CPU around the measured run.
 */
export async function runLoad(opts: Omit<Options, 'duration' | 'connections'>, cfg: LoadConfig, meter?: CpuMeter, urls = [opts.url]): Promise<LoadStats> {
  if (cfg.warmup > 0) await runParallel(opts, urls, cfg.connections, cfg.warmup);
  const stop = meter?.();
  const stats = await runParallel(opts, urls, cfg.connections, cfg.duration);
  const cpu = stop?.();
  if (cpu && stats.total > 0) {
    if (Number.isFinite(cpu.serverMs)) stats.cpuUsPerReq = (cpu.serverMs * 1000) / stats.total;
    if (Number.isFinite(cpu.dbMs)) stats.dbCpuUsPerReq = (cpu.dbMs * 1000) / stats.total;
  }
  return stats;
}
