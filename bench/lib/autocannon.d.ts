// Minimal ambient types for autocannon 8 (the package ships none); only what bench/ uses.
declare module 'autocannon' {
  export interface Histogram {
    min: number; max: number; average: number; stddev: number; total?: number;
    p2_5: number; p50: number; p75: number; p90: number; p97_5: number; p99: number; p99_9: number;
  }
  export interface RawRequest {
    method?: string; path?: string; headers?: Record<string, string>; body?: string | Buffer;
  }
  export interface RequestSpec extends RawRequest {
    setupRequest?: (req: RawRequest, context: Record<string, unknown>) => RawRequest | null | undefined;
    onResponse?: (status: number, body: string, context: Record<string, unknown>, headers: Record<string, string>) => void;
  }
  export interface Options {
    url: string; connections?: number; duration?: number; amount?: number; timeout?: number;
    pipelining?: number; method?: string; headers?: Record<string, string>; body?: string | Buffer;
    requests?: RequestSpec[]; title?: string; bailout?: number; idReplacement?: boolean;
    verifyBody?: (body: string) => boolean;
  }
  export interface Result {
    title?: string; url: string; duration: number; errors: number; timeouts: number; mismatches: number;
    non2xx: number; resets: number; connections: number;
    requests: Histogram & { total: number; sent: number };
    latency: Histogram; throughput: Histogram;
    statusCodeStats: Record<string, { count: number }>;
    '1xx': number; '2xx': number; '3xx': number; '4xx': number; '5xx': number;
  }
  export interface Instance { stop(): void; on(ev: string, fn: (...args: unknown[]) => void): void }
  function autocannon(opts: Options): Promise<Result> & Instance;
  function autocannon(opts: Options, cb: (err: Error | null, res: Result) => void): Instance;
  export default autocannon;
}
