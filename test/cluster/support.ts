// Cluster test harness: a fresh PostgreSQL database per test file, a dedicated redis-server child on
// a free port (so tests may kill and restart it without touching the machine's Redis), and N Basalt
// node processes (`node bin/basalt.js serve`, each on a free port with its own temp --dir) sharing both.
// Every child process is tracked and SIGKILLed on close, on process exit and on fatal signals.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import { freePort } from '../support/ports.ts'
import os from 'node:os'
import path from 'node:path'
import PocketBase from 'pocketbase'
import { EventSource } from 'eventsource'
import pg from 'pg'
import { POSTGRES_URL } from '../support/services.ts'

// The SDK's realtime needs a global EventSource; Node 20 has none.
;(globalThis as { EventSource?: unknown }).EventSource ??= EventSource

import { waitFor } from '../support/wait.ts'
export { waitFor }

const BIN = path.resolve(import.meta.dirname, '../../bin/basalt.js')
const REDIS_SERVER = fs.existsSync('/usr/bin/redis-server') ? '/usr/bin/redis-server' : 'redis-server'
export const SUPERUSER = { email: 'root@example.com', password: 'rootpassword123' }
/** Default per-request timeout: a request that takes longer counts as hung. */
export const REQUEST_TIMEOUT_MS = 10_000

// ---------------------------------------------------------------------------------------------
// Process bookkeeping: nothing may outlive the test process.

const live = new Set<ChildProcess>()
const tempDirs = new Set<string>()
/** Databases not dropped yet: dropped synchronously (psql) if the process exits before close(). */
const liveDatabases = new Set<string>()

function killAllSync() {
  for (const c of live) {
    try { if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL') } catch { /* already gone */ }
  }
  live.clear()
  for (const d of tempDirs) {
    try { fs.rmSync(d, { recursive: true, force: true }) } catch { /* best effort */ }
  }
  tempDirs.clear()
  for (const name of liveDatabases) {
    try { spawnSync('psql', [POSTGRES_URL, '-qc', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`], { timeout: 5000, stdio: 'ignore' }) } catch { /* best effort */ }
  }
  liveDatabases.clear()
}

let hooksInstalled = false
function installExitHooks() {
  if (hooksInstalled) return
  hooksInstalled = true
  process.once('exit', killAllSync)
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      killAllSync()
      process.kill(process.pid, sig)
    })
  }
}

function track(child: ChildProcess): ChildProcess {
  installExitHooks()
  live.add(child)
  child.once('exit', () => live.delete(child))
  return child
}

function tempDir(prefix: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  tempDirs.add(d)
  return d
}

export function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve()
    else child.once('exit', () => resolve())
  })
}

async function hardKill(child: ChildProcess): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  await exited(child)
}

export { freePort }

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Keeps the tail of a child's output for failure messages. */
function capture(child: ChildProcess): () => string {
  let out = ''
  const add = (d: Buffer) => { out = (out + d.toString()).slice(-16_000) }
  child.stdout?.on('data', add)
  child.stderr?.on('data', add)
  return () => out
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

export async function adminQuery<T extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 5000 })
  await client.connect()
  try { return (await client.query<T>(text, values)).rows } finally { await client.end() }
}

export interface TestDatabase { name: string; url: string; drop(): Promise<void> }

/** `CREATE DATABASE basalt_cl_<random>`; drop() removes it `WITH (FORCE)`. */
export async function createDatabase(): Promise<TestDatabase> {
  const name = `basalt_cl_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`
  installExitHooks()
  await adminQuery(`CREATE DATABASE ${name}`)
  liveDatabases.add(name)
  const url = new URL(POSTGRES_URL)
  url.pathname = `/${name}`
  return {
    name, url: url.toString(),
    drop: async () => {
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      liveDatabases.delete(name)
    },
  }
}

/** Drops every connection to `db` except ours; returns how many were terminated. */
export async function terminateBackends(db: string): Promise<number> {
  const rows = await adminQuery<{ t: boolean }>(
    'SELECT pg_terminate_backend(pid) AS t FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [db])
  return rows.filter((r) => r.t).length
}

// ---------------------------------------------------------------------------------------------
// Redis (dedicated child process)

export interface RedisProcess {
  port: number
  url: string
  child(): ChildProcess
  /** SIGKILL (the data set is empty anyway: no persistence). */
  kill(): Promise<void>
  /** Starts it again on the same port. */
  start(): Promise<void>
  restart(downMs?: number): Promise<void>
  stop(): Promise<void>
  output(): string
}

export async function startRedis(): Promise<RedisProcess> {
  const port = await freePort()
  const dir = tempDir('basalt-cl-redis-')
  let child: ChildProcess | null = null
  let output = () => ''
  const ping = () => new Promise<boolean>((resolve) => {
    const sock = net.connect(port, '127.0.0.1')
    let buf = ''
    sock.setTimeout(1000, () => { sock.destroy(); resolve(false) })
    sock.on('error', () => resolve(false))
    sock.on('connect', () => sock.write('PING\r\n'))
    sock.on('data', (d) => { buf += d; if (buf.includes('\r\n')) { sock.destroy(); resolve(buf.startsWith('+PONG')) } })
  })
  const start = async () => {
    const c = track(spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', '--loglevel', 'warning'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    }))
    child = c
    output = capture(c)
    await waitFor(async () => (c.exitCode !== null ? Promise.reject(new Error(`redis-server exited: ${output()}`)) : ping()), 10_000, `redis-server on ${port}`)
  }
  const kill = async () => { if (child) await hardKill(child) }
  await start()
  return {
    port, url: `redis://127.0.0.1:${port}`, child: () => child!, kill, start,
    async restart(downMs = 1000) { await kill(); await sleep(downMs); await start() },
    stop: kill,
    output: () => output(),
  }
}

// ---------------------------------------------------------------------------------------------
// Basalt nodes

export interface NodeProcess {
  name: string
  port: number
  url: string
  dir: string
  child(): ChildProcess
  alive(): boolean
  /** SIGKILL and wait for the exit. */
  kill(): Promise<void>
  /** Starts the process again (same port, dir and env) and waits for /api/health. */
  start(): Promise<void>
  restart(): Promise<void>
  output(): string
}

export interface NodeEnv { databaseUrl: string; redisUrl: string }

function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = track(spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] }))
    const output = capture(child)
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`basalt ${args.join(' ')} timed out: ${output()}`)) }, 30_000)
    child.once('exit', (code) => { clearTimeout(timer); resolve({ code, output: output() }) })
  })
}

function nodeEnv(env: NodeEnv): NodeJS.ProcessEnv {
  return { ...process.env, DATABASE_URL: env.databaseUrl, REDIS_URL: env.redisUrl, BASALT_LOG_LEVEL: 'warn' }
}

export async function upsertSuperuser(env: NodeEnv, email = SUPERUSER.email, password = SUPERUSER.password): Promise<void> {
  const dir = tempDir('basalt-cl-cli-')
  const r = await runCli(['superuser', 'upsert', email, password, `--dir=${dir}`], nodeEnv(env))
  if (r.code !== 0) throw new Error(`superuser upsert failed (${r.code}): ${r.output}`)
}

/** `script`: a node entry other than `basalt serve` (a fixture that also registers jobs, crons or routes); it gets the same flags. */
export async function startNode(name: string, env: NodeEnv, opts: { script?: string; env?: Record<string, string> } = {}): Promise<NodeProcess> {
  const port = await freePort()
  const dir = tempDir(`basalt-cl-${name}-`)
  const url = `http://127.0.0.1:${port}`
  let child: ChildProcess | null = null
  let output = () => ''
  const start = async () => {
    const entry = opts.script ? ['--import', 'tsx', opts.script] : [BIN, 'serve']
    const c = track(spawn(process.execPath, [...entry, `--http=127.0.0.1:${port}`, `--dir=${dir}`], {
      env: { ...nodeEnv(env), NODE_NAME: name, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'],
    }))
    child = c
    output = capture(c)
    await waitFor(async () => {
      if (c.exitCode !== null || c.signalCode !== null) throw new Error(`node ${name} exited during startup: ${output()}`)
      const res = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(2000) }).catch(() => null)
      return res?.ok
    }, 30_000, `node ${name} on ${port}`)
  }
  await start()
  const kill = async () => { if (child) await hardKill(child) }
  return {
    name, port, url, dir,
    child: () => child!,
    alive: () => !!child && child.exitCode === null && child.signalCode === null,
    kill, start,
    async restart() { await kill(); await start() },
    output: () => output(),
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP helpers

export interface ApiResult<T = any> { status: number; body: T; ms: number }

/** One JSON request with a hard timeout; a timeout rejects (callers treat it as a hang). */
export async function api<T = any>(base: string, method: string, route: string, opts: { token?: string; body?: unknown; timeoutMs?: number } = {}): Promise<ApiResult<T>> {
  const started = Date.now()
  const headers: Record<string, string> = {}
  if (opts.token) headers.authorization = opts.token
  if (opts.body !== undefined) headers['content-type'] = 'application/json'
  const res = await fetch(base + route, {
    method, headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    signal: AbortSignal.timeout(opts.timeoutMs ?? REQUEST_TIMEOUT_MS),
  })
  const text = await res.text()
  let body: any = text
  try { body = text ? JSON.parse(text) : null } catch { /* not JSON */ }
  return { status: res.status, body, ms: Date.now() - started }
}

export async function superuserToken(base: string): Promise<string> {
  const r = await api(base, 'POST', '/api/collections/_superusers/auth-with-password', { body: { identity: SUPERUSER.email, password: SUPERUSER.password } })
  if (r.status !== 200) throw new Error(`superuser login on ${base}: ${r.status} ${JSON.stringify(r.body)}`)
  return r.body.token
}

/** An SDK client for `base` (auto-cancellation off, so parallel calls are not cancelled). */
export function sdk(base: string): PocketBase {
  const pb = new PocketBase(base)
  pb.autoCancellation(false)
  return pb
}

// ---------------------------------------------------------------------------------------------
// The cluster

export interface Cluster {
  db: TestDatabase
  redis: RedisProcess
  nodes: NodeProcess[]
  env: NodeEnv
  /** Superuser token (issued by nodes[0]). */
  token: string
  /** Live nodes only. */
  alive(): NodeProcess[]
  /** Tail of every node's output, for failure messages. */
  logs(): string
  close(): Promise<void>
}

/**
 * Database + dedicated Redis + superuser + `n` nodes. With `collections`, node A starts first, creates
 * them, and the other nodes start afterwards, so they load the schema at startup: suites that are not
 * about schema propagation do not depend on it.
 */
export async function startCluster(n = 3, opts: { collections?: Record<string, unknown>[]; script?: string; env?: Record<string, string> } = {}): Promise<Cluster> {
  const db = await createDatabase()
  let redis: RedisProcess | null = null
  const nodes: NodeProcess[] = []
  const close = async () => {
    await Promise.all(nodes.map((x) => x.kill().catch(() => {})))
    await redis?.stop().catch(() => {})
    await db.drop().catch(() => {})
  }
  try {
    redis = await startRedis()
    const env: NodeEnv = { databaseUrl: db.url, redisUrl: redis.url }
    await upsertSuperuser(env) // also runs the migrations once, before the nodes race for them
    const name = (i: number) => String.fromCharCode(65 + i)
    let token: string
    if (opts.collections?.length) {
      nodes.push(await startNode(name(0), env, opts))
      token = await superuserToken(nodes[0].url)
      for (const def of opts.collections) await createCollection(nodes[0].url, token, def)
      nodes.push(...await Promise.all(Array.from({ length: n - 1 }, (_, i) => startNode(name(i + 1), env, opts))))
    } else {
      nodes.push(...await Promise.all(Array.from({ length: n }, (_, i) => startNode(name(i), env, opts))))
      token = await superuserToken(nodes[0].url)
    }
    // These suites fire hundreds of writes per second from one IP on purpose; the general rate limits
    // (on by default) would answer 429. The brute-force guard stays on.
    const off = await api(nodes[0].url, 'PATCH', '/api/settings', { token, body: { rateLimits: { enabled: false } } })
    if (off.status !== 200) throw new Error(`disabling rate limits: ${off.status} ${JSON.stringify(off.body)}`)
    return {
      db, redis, nodes, env, token,
      alive: () => nodes.filter((x) => x.alive()),
      logs: () => nodes.map((x) => `--- node ${x.name} (${x.url})\n${x.output()}`).join('\n') + `\n--- redis\n${redis!.output()}`,
      close,
    }
  } catch (err) {
    await close()
    throw err
  }
}

/** Creates a collection through `base` with a superuser token. */
export async function createCollection(base: string, token: string, def: Record<string, unknown>): Promise<any> {
  const r = await api(base, 'POST', '/api/collections', { token, body: def })
  if (r.status !== 200) throw new Error(`create collection ${String(def.name)}: ${r.status} ${JSON.stringify(r.body)}`)
  return r.body
}

/** Signs up and logs in a `users` record through `base`; returns its id and token. */
export async function signUp(base: string, email: string, password = 'user-password-1'): Promise<{ id: string; token: string; email: string; password: string }> {
  const c = await api(base, 'POST', '/api/collections/users/records', { body: { email, password, passwordConfirm: password } })
  if (c.status !== 200) throw new Error(`sign-up ${email}: ${c.status} ${JSON.stringify(c.body)}`)
  const l = await api(base, 'POST', '/api/collections/users/auth-with-password', { body: { identity: email, password } })
  if (l.status !== 200) throw new Error(`login ${email}: ${l.status} ${JSON.stringify(l.body)}`)
  return { id: c.body.id, token: l.body.token, email, password }
}

/** Lists every record of `collection` (up to 1000 per page) through `base`. */
export async function listAll(base: string, token: string, collection: string, query = ''): Promise<any[]> {
  const items: any[] = []
  for (let page = 1; ; page++) {
    const r = await api(base, 'GET', `/api/collections/${collection}/records?perPage=1000&page=${page}${query ? '&' + query : ''}`, { token })
    if (r.status !== 200) throw new Error(`list ${collection}: ${r.status} ${JSON.stringify(r.body)}`)
    items.push(...r.body.items)
    if (r.body.items.length < 1000) return items
  }
}

