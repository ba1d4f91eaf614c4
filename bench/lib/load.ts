// autocannon wrapper: optional warm-up, then a measured run summarised as req/s + latency percentiles.
import autocannon, { type Options, type Result } from 'autocannon';

export interface LoadStats {
  rps: number; p50: number; p99: number; max: number; total: number;
  non2xx: number; errors: number; timeouts: number; statusCodes: Record<string, number>;
  /** Server CPU time per completed request (µs), when a CPU sampler was given. */
  cpuUsPerReq?: number;
}

export interface LoadConfig { duration: number; warmup: number; connections: number }

export function summarize(r: Result): LoadStats {
  const statusCodes: Record<string, number> = {};
  for (const [code, v] of Object.entries(r.statusCodeStats ?? {})) statusCodes[code] = v.count;
  const ok = r['2xx'] ?? 0;
  return {
    rps: r.duration > 0 ? ok / r.duration : 0,
    p50: r.latency.p50, p99: r.latency.p99, max: r.latency.max, total: r.requests.total,
    non2xx: r.non2xx, errors: r.errors, timeouts: r.timeouts, statusCodes,
  };
}

/** `cpuMs` samples the server's cumulative CPU time, giving a noise-resistant cost per request. */
export async function runLoad(opts: Omit<Options, 'duration' | 'connections'>, cfg: LoadConfig, cpuMs?: () => number): Promise<LoadStats> {
  if (cfg.warmup > 0) await autocannon({ ...opts, connections: cfg.connections, duration: cfg.warmup });
  const cpu0 = cpuMs?.() ?? NaN;
  const res = await autocannon({ ...opts, connections: cfg.connections, duration: cfg.duration });
  const stats = summarize(res);
  const cpu = (cpuMs?.() ?? NaN) - cpu0;
  if (Number.isFinite(cpu) && res.requests.total > 0) stats.cpuUsPerReq = (cpu * 1000) / res.requests.total;
  return stats;
}
