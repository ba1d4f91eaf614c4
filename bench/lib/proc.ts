// Child-process helpers: spawn servers in their own process group, wait for health, read RSS, clean up.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { openSync, readFileSync, readdirSync, closeSync, rmSync } from 'node:fs';

const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();
const exitCleanups = new Set<() => void>();

/** Run `fn` (synchronously) if the bench exits before the returned unregister function is called. */
export function registerExitCleanup(fn: () => void): () => void {
  installHooks();
  exitCleanups.add(fn);
  return () => { exitCleanups.delete(fn); };
}

/** Remove `dir` when the bench exits (also on Ctrl-C), unless BENCH_KEEP=1. */
export function registerTempDir(dir: string): void {
  installHooks();
  tempDirs.add(dir);
}

export function removeTempDir(dir: string): void {
  tempDirs.delete(dir);
  if (process.env.BENCH_KEEP !== '1') rmSync(dir, { recursive: true, force: true });
}
let hooksInstalled = false;

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try { process.kill(-child.pid, signal); } catch { try { child.kill(signal); } catch { /* gone */ } }
}

/** Kill every spawned child (sync; safe inside 'exit'). */
export function killAll(): void {
  for (const c of children) killGroup(c, 'SIGKILL');
  children.clear();
  for (const d of tempDirs) removeTempDir(d);
  for (const fn of exitCleanups) { try { fn(); } catch { /* best effort */ } }
  exitCleanups.clear();
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => { killAll(); process.exit(130); });
  }
  process.on('uncaughtException', (e) => { console.error(e); killAll(); process.exit(1); });
  process.on('unhandledRejection', (e) => { console.error(e); killAll(); process.exit(1); });
}

export interface Server { child: ChildProcess; pid: number; url: string; logFile: string }

/** Spawn a long-running server; stdout+stderr go to `logFile`. */
export function spawnServer(args: string[], opts: { cwd: string; logFile: string; url: string; env?: NodeJS.ProcessEnv }): Server {
  installHooks();
  const fd = openSync(opts.logFile, 'a');
  const env: NodeJS.ProcessEnv = { ...process.env, ...opts.env };
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, ...args], { cwd: opts.cwd, detached: true, stdio: ['ignore', fd, fd], env });
  closeSync(fd);
  children.add(child);
  child.on('exit', () => children.delete(child));
  if (child.pid === undefined) throw new Error(`failed to spawn ${args.join(' ')}`);
  return { child, pid: child.pid, url: opts.url, logFile: opts.logFile };
}

/** Run a short command to completion (e.g. `superuser upsert`); rejects on non-zero exit. */
export function runOnce(args: string[], cwd: string, timeoutMs = 60_000, env?: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { cwd, timeout: timeoutMs, env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${args.join(' ')} failed: ${err.message}\n${stdout}\n${stderr}`));
      else resolve(stdout + stderr);
    });
  });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export function tailLog(file: string, lines = 30): string {
  try { return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n'); } catch { return '(no log)'; }
}

/** Poll `GET /api/health` until 200, the child dies, or the timeout passes. */
export async function waitHealthy(srv: Server, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (srv.child.exitCode !== null || srv.child.signalCode !== null) {
      throw new Error(`server exited early (code ${srv.child.exitCode}, signal ${srv.child.signalCode})\n${tailLog(srv.logFile)}`);
    }
    try {
      const res = await fetch(`${srv.url}/api/health`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server not healthy after ${timeoutMs} ms\n${tailLog(srv.logFile)}`);
}

export async function stopServer(srv: Server, graceMs = 3000): Promise<void> {
  if (srv.child.exitCode !== null || srv.child.signalCode !== null) return;
  const exited = new Promise<void>((r) => srv.child.once('exit', () => r()));
  killGroup(srv.child, 'SIGTERM');
  const timer = setTimeout(() => killGroup(srv.child, 'SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

function statusKb(pid: number, key: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm'));
    return m ? Number(m[1]) : 0;
  } catch { return 0; }
}

function descendants(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[] = [];
  try { tasks = readdirSync(`/proc/${pid}/task`); } catch { return out; }
  for (const tid of tasks) {
    let kids = '';
    try { kids = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8'); } catch { continue; }
    for (const k of kids.split(/\s+/).filter(Boolean).map(Number)) out.push(k, ...descendants(k));
  }
  return out;
}

function comm(pid: number): string {
  try { return readFileSync(`/proc/${pid}/comm`, 'utf8').trim(); } catch { return '?'; }
}

export interface Mem { rss: number; peak: number; tree: number; children: string[] }

/** RSS/peak (MB) of the server process itself, plus the total over its descendants (e.g. an esbuild service). */
export function memoryMb(pid: number): Mem {
  const kids = descendants(pid);
  const mb = (p: number, k: 'VmRSS' | 'VmHWM') => statusKb(p, k) / 1024;
  return {
    rss: mb(pid, 'VmRSS'),
    peak: mb(pid, 'VmHWM'),
    tree: kids.reduce((s, p) => s + mb(p, 'VmRSS'), mb(pid, 'VmRSS')),
    children: kids.map((p) => `${comm(p)}(${p}) ${mb(p, 'VmRSS').toFixed(0)} MB`),
  };
}

/** CPU time (user + system, all threads) consumed so far by `pid`, in ms; NaN if unreadable. */
export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime, stime in USER_HZ (100 on Linux)
  } catch { return NaN; }
}
