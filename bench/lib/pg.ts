// PostgreSQL + Redis helpers for the scale-out legs: availability probe, a throw-away database per run,
// Redis key cleanup, and CPU time of the postgres backends serving that database (read from /proc).
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import pg from 'pg';
import { Redis } from 'ioredis';
import { registerExitCleanup } from './proc.ts';

/** Admin connection (any existing database; the bench database is created next to it). */
export const PG_ADMIN_URL = process.env.BENCH_PG_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379';

function withDb(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = '/' + db;
  return u.toString();
}

/** Redacts the password (if any) for log lines and the report. */
export function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

/** null when reachable, else a one-line reason. */
export async function probePg(): Promise<string | null> {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return null;
  } catch (e) {
    return `PostgreSQL at ${redact(PG_ADMIN_URL)} not reachable: ${(e as Error).message}`;
  } finally {
    await c.end().catch(() => {});
  }
}

export async function probeRedis(): Promise<string | null> {
  const r = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 3000 });
  r.on('error', () => {});
  try {
    await r.connect();
    const pong = await r.ping();
    return pong === 'PONG' ? null : `Redis at ${redact(REDIS_URL)} answered ${pong}`;
  } catch (e) {
    return `Redis at ${redact(REDIS_URL)} not reachable: ${(e as Error).message}`;
  } finally {
    r.disconnect();
  }
}

export interface BenchDb {
  name: string;
  /** DATABASE_URL for the Basalt nodes. */
  url: string;
  /** BASALT_REDIS_PREFIX shared by the nodes of this run. */
  redisPrefix: string;
  drop(): Promise<void>;
}

const dropSql = (name: string) => `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`;

/** `CREATE DATABASE basalt_bench_<random>`; dropped by `drop()`, or synchronously if the bench dies first. */
export async function createBenchDb(): Promise<BenchDb> {
  const suffix = randomBytes(5).toString('hex');
  const name = `basalt_bench_${suffix}`;
  const c = new pg.Client({ connectionString: PG_ADMIN_URL });
  await c.connect();
  try { await c.query(`CREATE DATABASE "${name}"`); } finally { await c.end(); }
  const redisPrefix = `bench_${suffix}`;
  // Ctrl-C / crash: the async path will not run, so drop with a short synchronous child.
  const unregister = registerExitCleanup(() => {
    spawnSync(process.execPath, ['-e', `
      const pg = require('pg'); const c = new pg.Client({ connectionString: process.argv[1] });
      c.connect().then(() => c.query(process.argv[2])).catch((e) => console.error(e.message)).finally(() => c.end());
    `, PG_ADMIN_URL, dropSql(name)], { cwd: process.cwd(), stdio: 'inherit', timeout: 15_000 });
  });
  let dropped = false;
  return {
    name, url: withDb(PG_ADMIN_URL, name), redisPrefix,
    async drop() {
      if (dropped) return;
      dropped = true;
      unregister();
      if (process.env.BENCH_KEEP === '1') { console.error(`[bench] kept database ${name}`); return; }
      const a = new pg.Client({ connectionString: PG_ADMIN_URL });
      await a.connect();
      try { await a.query(dropSql(name)); } finally { await a.end(); }
      await deleteRedisKeys(redisPrefix).catch(() => {});
    },
  };
}

/** Basalt's Redis rate-limit counters (`basalt:rl:<prefix>:*`); pub/sub channels leave nothing behind. */
async function deleteRedisKeys(prefix: string): Promise<void> {
  const r = new Redis(REDIS_URL, { maxRetriesPerRequest: 1, retryStrategy: () => null });
  r.on('error', () => {});
  try {
    for (const pattern of [`basalt:rl:${prefix}:*`, `basalt:${prefix}:*`]) {
      let cursor = '0';
      do {
        const [next, keys] = await r.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
        if (keys.length) await r.del(...keys);
        cursor = next;
      } while (cursor !== '0');
    }
  } finally {
    r.disconnect();
  }
}

/**
 * Cumulative CPU ms (utime + stime) of every postgres process whose title names `db` (client backends,
 * autovacuum workers on it), keyed by pid. Empty when PostgreSQL runs elsewhere (another host / container).
 * Shared processes (WAL writer, checkpointer, bgwriter) are not included.
 */
export function pgBackendCpu(db: string): Map<number, number> {
  const out = new Map<number, number>();
  let pids: string[];
  try { pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p)); } catch { return out; }
  const needle = ` ${db} `;
  for (const p of pids) {
    try {
      if (readFileSync(`/proc/${p}/comm`, 'utf8').trim() !== 'postgres') continue;
      const title = readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0+/g, ' ');
      if (!title.includes(needle)) continue;
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(p), ((Number(f[11]) + Number(f[12])) * 1000) / 100);
    } catch { /* exited meanwhile */ }
  }
  return out;
}

/** CPU ms spent by `db`'s backends between two snapshots (new backends count in full; exited ones are lost). */
export function pgCpuDelta(before: Map<number, number>, after: Map<number, number>): number {
  if (after.size === 0) return NaN;
  let sum = 0;
  for (const [pid, ms] of after) sum += ms - (before.get(pid) ?? 0);
  return sum;
}
