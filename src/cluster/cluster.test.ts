// Two createApp() nodes on one PostgreSQL database (+ one Redis): schema changes and realtime events cross nodes.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createApp, type App } from '../app.ts'
import { resolveConfig, type Config } from '../config.ts'
import { SUPERUSERS_NAME, USERS_ID } from '../core/collections/types.ts'
import { guestRequest } from '../rules/request-info.ts'
import { fakeTransport } from '../realtime/test-support.ts'
import { waitFor } from '../realtime/brokers/broker.contract.ts'
import type { ClusterOptions } from './index.ts'
import { POSTGRES_URL, REDIS_URL, probe } from '../../test/support/services.ts'
import { freePort } from '../../test/support/ports.ts'

const hasPg = probe('postgres')
const hasRedis = probe('redis')
if (!hasPg) console.warn(`SKIP postgres: no PostgreSQL at ${POSTGRES_URL}; cluster tests skipped.`)
if (hasPg && !hasRedis) console.warn(`SKIP redis: no Redis at ${REDIS_URL}; cluster tests over Redis skipped.`)

async function admin(text: string): Promise<void> {
  const c = new pg.Client({ connectionString: POSTGRES_URL })
  await c.connect()
  try { await c.query(text) } finally { await c.end() }
}

const POSTS = { name: 'posts', type: 'base', fields: [{ name: 'title', type: 'text' }], listRule: '', viewRule: '' }

async function asRoot(app: App) {
  return guestRequest({ auth: { collection: app.collections.get(SUPERUSERS_NAME), record: { id: 'test' } } })
}

describe.skipIf(!hasPg)('cluster: two nodes on one PostgreSQL', () => {
  let dbName = ''
  let dbUrl = ''
  const apps: App[] = []
  const dirs: string[] = []

  beforeAll(async () => {
    dbName = `basalt_c_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`
    await admin(`CREATE DATABASE ${dbName}`)
    const u = new URL(POSTGRES_URL)
    u.pathname = `/${dbName}`
    dbUrl = u.toString()
  })
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()))
    // Each test starts from an empty schema: drop user collections through a fresh node.
    const cleanup = await createApp(resolveConfig({ dataDir: tmp(), logLevel: 'silent', databaseUrl: dbUrl }))
    for (const c of cleanup.collections.all()) if (!c.system) await cleanup.collections.delete(c.id)
    await cleanup.close()
  })
  afterAll(async () => {
    if (dbName) await admin(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`)
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true })
  })

  function tmp() {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'basalt-cluster-'))
    dirs.push(d)
    return d
  }
  async function node(over: Partial<Config>, cluster: ClusterOptions = {}): Promise<App> {
    const app = await createApp(resolveConfig({ dataDir: tmp(), logLevel: 'silent', databaseUrl: dbUrl }, over), { cluster })
    apps.push(app)
    return app
  }

  const legs = [
    { name: 'Redis', skip: !hasRedis, config: () => ({ redisUrl: REDIS_URL }) },
    { name: 'PG NOTIFY (no Redis)', skip: false, config: () => ({ redisUrl: null }) },
  ]
  for (const leg of legs) {
    describe.skipIf(leg.skip)(`schema over ${leg.name}`, () => {
      it('a collection created, updated and deleted on A is seen on B within a second', async () => {
        // Periodic reload off: only the change signal may make this pass.
        const cluster = { prefix: `c${Math.random().toString(36).slice(2, 8)}`, schemaReloadMs: 0 }
        const [a, b] = [await node(leg.config(), cluster), await node(leg.config(), cluster)]
        expect(b.collections.find('posts')).toBeUndefined()
        await a.collections.create(POSTS)
        await waitFor(() => b.collections.find('posts') !== undefined, 1000)
        await a.collections.update('posts', { listRule: 'title != ""' })
        await waitFor(() => b.collections.find('posts')?.listRule === 'title != ""', 1000)
        await a.collections.delete('posts')
        await waitFor(() => b.collections.find('posts') === undefined, 1000)
      })

      it('rotating an auth collection token secret on A reverts B\'s realtime auth to guest', async () => {
        const cluster = { prefix: `c${Math.random().toString(36).slice(2, 8)}`, schemaReloadMs: 0 }
        const [a, b] = [await node(leg.config(), cluster), await node(leg.config(), cluster)]
        const users = b.collections.get(USERS_ID)
        const client = b.hub.connect(fakeTransport(), '10.0.0.1')
        b.hub.setSubscriptions(client.id, ['users/*'], { collection: users, record: { id: 'u1', tokenKey: 'tk' } }, '10.0.0.1')
        expect(client.auth).not.toBeNull()
        await a.collections.update(USERS_ID, { authToken: { secret: 'x'.repeat(40) } })
        await waitFor(() => client.auth === null, 1000)
      })
    })
  }

  describe.skipIf(!hasRedis)('realtime over Redis', () => {
    it('a record created through A reaches subscribers on B (broker and hub)', async () => {
      const cluster = { prefix: `c${Math.random().toString(36).slice(2, 8)}` }
      const [a, b] = [await node({ redisUrl: REDIS_URL }, cluster), await node({ redisUrl: REDIS_URL }, cluster)]
      await a.collections.create(POSTS)
      await waitFor(() => b.collections.find('posts') !== undefined, 1000)
      const seen: string[] = []
      b.broker.subscribe((e) => seen.push(`${e.action}:${e.collectionName}`))
      const t = fakeTransport()
      const client = b.hub.connect(t, '10.0.0.2')
      b.hub.setSubscriptions(client.id, ['posts'], null, '10.0.0.2')
      const posts = a.collections.get('posts')
      await a.records.create(posts, { body: { title: 'hello' }, files: new Map() }, {}, await asRoot(a))
      await waitFor(() => t.events('posts').length === 1, 2000)
      expect(t.events('posts')[0]).toMatchObject({ action: 'create', record: { title: 'hello' } })
      expect(seen).toEqual(['create:posts'])
    })

    it('closes B\'s realtime streams when its Redis connection was lost, and fans out again after', async () => {
      const port = await freePort()
      const start = () => spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
      const up = async () => {
        const probeClient = new Redis({ port, host: '127.0.0.1', retryStrategy: () => 50 })
        probeClient.on('error', () => {})
        try { await waitFor(() => probeClient.status === 'ready', 5000) } finally { probeClient.disconnect() }
      }
      let redis: ChildProcess = start()
      try {
        await up()
        const over = { redisUrl: `redis://127.0.0.1:${port}` }
        const cluster = { prefix: 'gap', heartbeatMs: 100 }
        const [a, b] = [await node(over, cluster), await node(over, cluster)]
        await a.collections.create(POSTS)
        await waitFor(() => b.collections.find('posts') !== undefined, 1000)
        const t = fakeTransport()
        const client = b.hub.connect(t, '10.0.0.3')
        b.hub.setSubscriptions(client.id, ['posts'], null, '10.0.0.3')
        const exited = new Promise((r) => redis.once('exit', r))
        redis.kill('SIGKILL')
        await exited
        redis = start()
        await up()
        await waitFor(() => t.closed, 10_000)
        // The SDK would now reconnect and resubscribe; events flow again.
        const t2 = fakeTransport()
        const again = b.hub.connect(t2, '10.0.0.3')
        b.hub.setSubscriptions(again.id, ['posts'], null, '10.0.0.3')
        await waitFor(() => (a.broker as { connected?: boolean }).connected === true, 5000)
        await a.records.create(a.collections.get('posts'), { body: { title: 'after' }, files: new Map() }, {}, await asRoot(a))
        await waitFor(() => t2.events('posts').length === 1, 3000)
      } finally {
        redis.kill('SIGKILL')
      }
    })
  })

  it.skipIf(!hasRedis)('App.close() leaves no handles: a node process exits by itself', () => {
    const script = path.join(import.meta.dirname, 'fixtures', 'open-and-close.ts')
    const r = spawnSync(process.execPath, ['--import', 'tsx', script], {
      env: { ...process.env, DATABASE_URL: dbUrl, REDIS_URL, BASALT_DIR: tmp(), BASALT_LOG_LEVEL: 'silent' },
      timeout: 15_000, encoding: 'utf8',
    })
    expect(r.error).toBeUndefined()
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' })
    expect(r.stdout.trim()).toBe('closed')
  })
})
