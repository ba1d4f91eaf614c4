// Test support: starts a real Basalt (SQLite in a temp dir) on an ephemeral port, plus SDK clients.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import PocketBase from 'pocketbase'
import { EventSource } from 'eventsource'
import { createApp, type App } from '../../src/app.ts'
import { resolveConfig, type Config } from '../../src/config.ts'
import { DEFAULT_BRUTE_FORCE } from '../../src/ratelimit/brute-force.ts'
import { buildServer } from '../../src/http/server.ts'
import { SUPERUSERS_NAME } from '../../src/core/collections/types.ts'
import { guestRequest } from '../../src/rules/request-info.ts'
import pg from 'pg'
import { POSTGRES_URL } from './services.ts'

// The SDK's realtime needs a global EventSource; Node 20 has none.
;(globalThis as { EventSource?: unknown }).EventSource ??= EventSource

export interface TestServer {
  url: string
  app: App
  dir: string
  /** A new SDK client (no auth). */
  client(): PocketBase
  /** A new SDK client authenticated as the default superuser. */
  superuser(): Promise<PocketBase>
  close(): Promise<void>
}

export const SUPERUSER = { email: 'root@example.com', password: 'rootpassword123' }

/** Which store this test run uses: `BASALT_TEST_STORE=postgres` (set by the vitest project) or SQLite. */
export const TEST_STORE: 'sqlite' | 'postgres' = process.env.BASALT_TEST_STORE === 'postgres' ? 'postgres' : 'sqlite'

async function adminQuery(text: string) {
  const client = new pg.Client({ connectionString: POSTGRES_URL })
  await client.connect()
  try { await client.query(text) } finally { await client.end() }
}

/** A fresh PostgreSQL database per server, so test files never see each other's data. */
export async function createTestDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `basalt_t_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`
  await adminQuery(`CREATE DATABASE ${name}`)
  const url = new URL(POSTGRES_URL)
  url.pathname = `/${name}`
  return { url: url.toString(), drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) }
}

/**
 * Many apps share this test process's event loop, so one test's burst would shed another's requests:
 * shedding is off here unless a test passes its own limits (test/api/load-shedding.test.ts does).
 */
const NO_SHEDDING = { maxInFlight: 0, maxEventLoopDelayMs: 0 }

export async function startServer(overrides: Partial<Config> = {}): Promise<TestServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'basalt-test-'))
  const database = TEST_STORE === 'postgres' ? await createTestDatabase() : null
  // Hostile-input suites send ~70 deliberate auth failures from 127.0.0.1 within seconds, so the per-IP
  // brute-force budget is raised here; the per-identity limit stays at its default. test/api/rate-limit.test.ts
  // passes the real defaults explicitly.
  const authFailureLimits = { ...DEFAULT_BRUTE_FORCE, perIp: 10_000 }
  const app = await createApp(resolveConfig({ dataDir: dir, logLevel: 'silent', port: 0, databaseUrl: database?.url ?? null, authFailureLimits, ...NO_SHEDDING }, overrides))
  const c = app.collections.get(SUPERUSERS_NAME)
  const asRoot = guestRequest({ auth: { collection: c, record: { id: 'test' } } })
  await app.records.create(c, { body: { email: SUPERUSER.email, password: SUPERUSER.password, passwordConfirm: SUPERUSER.password }, files: new Map() }, {}, asRoot)
  const server = await buildServer(app)
  await server.listen({ host: '127.0.0.1', port: 0 })
  const addr = server.server.address()
  const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`
  const client = () => {
    const pb = new PocketBase(url)
    pb.autoCancellation(false)
    return pb
  }
  return {
    url, app, dir, client,
    async superuser() {
      const pb = client()
      await pb.collection(SUPERUSERS_NAME).authWithPassword(SUPERUSER.email, SUPERUSER.password)
      return pb
    },
    async close() {
      app.hub.closeAll()
      // Keep-alive sockets (e.g. a download just finishing) would otherwise hold close() open.
      const sweep = setInterval(() => server.server.closeIdleConnections(), 50)
      await server.close().finally(() => clearInterval(sweep))
      await app.close()
      await database?.drop()
      fs.rmSync(dir, { recursive: true, force: true })
    },
  }
}

export { waitFor } from './wait.ts'
