// `basalt import-pocketbase`: a PocketBase data dir built here moves into Basalt (SQLite and PostgreSQL) and works through the SDK.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import pg from 'pg'
import PocketBase from 'pocketbase'
import { afterEach, describe, expect, it } from 'vitest'
import { createApp } from '../../src/app.ts'
import { resolveConfig } from '../../src/config.ts'
import { buildServer } from '../../src/http/server.ts'
import { DEFAULT_BRUTE_FORCE } from '../../src/ratelimit/brute-force.ts'
import { sql } from '../../src/store/sql.ts'
import { createTestDatabase } from '../support/server.ts'
import { probe } from '../support/services.ts'
import { buildPocketBaseDataDir, mintPocketBaseToken, PB_POSTS_ID, PB_USERS_ID, type PbFixture } from '../support/pocketbase-fixture.ts'

const BIN = path.resolve('bin/basalt.js')
const cleanups: (() => unknown)[] = []
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c() })

interface Target { dataDir: string; databaseUrl: string | null }

async function newTarget(store: 'sqlite' | 'postgres'): Promise<Target> {
  const dataDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'basalt-pbimport-')), 'data')
  cleanups.push(() => fs.rmSync(path.dirname(dataDir), { recursive: true, force: true }))
  if (store === 'sqlite') return { dataDir, databaseUrl: null }
  const database = await createTestDatabase()
  cleanups.push(database.drop)
  return { dataDir, databaseUrl: database.url }
}

function fixture(opts?: Parameters<typeof buildPocketBaseDataDir>[0]): PbFixture {
  const f = buildPocketBaseDataDir(opts)
  cleanups.push(f.cleanup)
  return f
}

function runImport(pbDir: string, t: Target, ...flags: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, BASALT_LOG_LEVEL: 'silent' }
  delete env.DATABASE_URL
  if (t.databaseUrl) env.DATABASE_URL = t.databaseUrl
  return spawnSync(process.execPath, [BIN, 'import-pocketbase', pbDir, `--dir=${t.dataDir}`, ...flags], { encoding: 'utf8', timeout: 60_000, env })
}

/** Basalt serving the imported store, as `basalt serve` would. */
async function serve(t: Target) {
  const app = await createApp(resolveConfig({
    dataDir: t.dataDir, databaseUrl: t.databaseUrl, logLevel: 'silent', port: 0,
    authFailureLimits: { ...DEFAULT_BRUTE_FORCE, perIp: 10_000 }, maxInFlight: 0, maxEventLoopDelayMs: 0,
  }))
  const server = await buildServer(app)
  await server.listen({ host: '127.0.0.1', port: 0 })
  const addr = server.server.address()
  const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`
  let closed = false
  const close = async () => {
    if (closed) return
    closed = true
    app.hub.closeAll()
    const sweep = setInterval(() => server.server.closeIdleConnections(), 50)
    await server.close().finally(() => clearInterval(sweep))
    await app.close()
  }
  cleanups.push(close)
  const client = () => { const pb = new PocketBase(url); pb.autoCancellation(false); return pb }
  return { app, url, client, close }
}

/** Collections in the target, read without Basalt: 0 when nothing (not even the schema) was written. */
async function targetCollections(t: Target): Promise<number> {
  if (t.databaseUrl) {
    const c = new pg.Client({ connectionString: t.databaseUrl })
    await c.connect()
    try {
      const { rows } = await c.query(`SELECT to_regclass('_collections') IS NOT NULL AS "exists"`)
      if (!rows[0].exists) return 0
      return Number((await c.query('SELECT COUNT(*) AS n FROM "_collections"')).rows[0].n)
    } finally { await c.end() }
  }
  const file = path.join(t.dataDir, 'data.db')
  if (!fs.existsSync(file)) return 0
  const db = new Database(file, { readonly: true })
  try {
    const has = db.prepare(`SELECT 1 FROM sqlite_master WHERE name = '_collections'`).get()
    return has ? Number((db.prepare('SELECT COUNT(*) AS n FROM "_collections"').get() as { n: number }).n) : 0
  } finally { db.close() }
}

/** Regular files under the target's storage (empty directories may stay behind a rollback). */
function storedFiles(t: Target): number {
  const root = path.join(t.dataDir, 'storage')
  if (!fs.existsSync(root)) return 0
  return (fs.readdirSync(root, { recursive: true }) as string[]).filter((p) => fs.statSync(path.join(root, p)).isFile()).length
}

const postgres = probe('postgres')
if (!postgres) console.warn('\nSKIP import-pocketbase on PostgreSQL: no PostgreSQL answered (see test/support/services.ts)\n')
const stores = postgres ? (['sqlite', 'postgres'] as const) : (['sqlite'] as const)

describe.each(stores)('import-pocketbase on %s', { timeout: 180_000 }, (store) => {
  it('moves a PocketBase app in: records, ids, dates, rules, logins, pre-issued tokens, files, superusers, settings', async () => {
    const pb = fixture()
    const t = await newTarget(store)
    const run = runImport(pb.dir, t)
    expect(run.stderr).toBe('')
    expect(run.status).toBe(0)
    expect(run.stdout).toMatch(/posts\s+source\s+3\s+target\s+3\s+ok/)
    expect(run.stdout).toContain('files: 1 uploaded + 1 thumbnails (2 copied)')
    expect(run.stdout).not.toMatch(/_authOrigins \(\d+ rows\): /) // carried: new-login alerts keep knowing the devices
    expect(run.stdout).toContain('Request logs: 1 (1 copied).')

    const s = await serve(t)
    // A token minted by PocketBase before the move (its secret and tokenKey were imported) still works.
    const bob = pb.users[1]
    const preIssued = await mintPocketBaseToken(bob, PB_USERS_ID, pb.userAuthSecret, pb.userAuthDuration)
    const asBob = s.client()
    asBob.authStore.save(preIssued, null)
    expect((await asBob.collection('posts').getFullList()).map((p) => p.id).sort()).toEqual([pb.posts[0].id, pb.posts[2].id])
    expect((await asBob.collection('users').authRefresh()).record.id).toBe(bob.id)

    // Superuser: PocketBase password, then every record with its id and dates as they were.
    const su = s.client()
    await su.collection('_superusers').authWithPassword(pb.superuser.email, pb.superuser.password)
    expect(su.authStore.isSuperuser).toBe(true)
    const posts = await su.collection('posts').getFullList({ sort: 'created' })
    expect(posts.map((p) => [p.id, p.title, p.owner, p.tags, p.public, p.created, p.updated])).toEqual(
      pb.posts.map((p) => [p.id, p.title, p.owner, p.tags, p.public, p.created, p.updated]))
    expect(posts[1]).toMatchObject({ views: 10, meta: { n: 1, nested: { ok: true } } })
    expect(posts[0]).toMatchObject({ published: '2024-12-24 18:30:00.000Z', location: { lon: 23.72, lat: 37.98 } })
    expect(posts[1]).toMatchObject({ published: '', location: { lon: 0, lat: 0 } })
    expect(posts[2].meta).toBeNull()
    expect(await su.collection('_authOrigins').getFullList()).toMatchObject([{ id: 'ao0000000000001', recordRef: pb.users[0].id, fingerprint: 'fp' }])
    const users = await su.collection('users').getFullList({ sort: 'created' })
    expect(users.map((u) => [u.id, u.email, u.created, u.updated])).toEqual([
      [pb.users[0].id, pb.users[0].email, '2024-11-03 09:15:30.123Z', '2024-11-10 11:00:00.456Z'],
      [pb.users[1].id, pb.users[1].email, '2024-11-04 09:15:30.123Z', '2024-11-11 11:00:00.456Z'],
    ])

    // Rules came along: a guest sees only the public post and cannot create.
    const guest = s.client()
    expect((await guest.collection('posts').getFullList()).map((p) => p.id)).toEqual([pb.posts[0].id])
    expect(await guest.collection('public_posts').getFullList()).toMatchObject([{ id: pb.posts[0].id, title: pb.posts[0].title }])
    await expect(guest.collection('posts').create({ title: 'x', owner: bob.id })).rejects.toMatchObject({ status: 400 })

    // The original password logs in; the stored bcrypt hash becomes argon2id.
    const ann = pb.users[0]
    const before = await s.app.store.get<{ password: string; tokenKey: string }>(sql`SELECT "password", "tokenKey" FROM "users" WHERE "id" = ${ann.id}`)
    expect(before!.password).toMatch(/^\$2a\$10\$/)
    const asAnn = s.client()
    await asAnn.collection('users').authWithPassword(ann.email, ann.password)
    const after = await s.app.store.get<{ password: string; tokenKey: string }>(sql`SELECT "password", "tokenKey" FROM "users" WHERE "id" = ${ann.id}`)
    expect(after!.password).toMatch(/^\$argon2id\$/)
    expect(after!.tokenKey).toBe(ann.tokenKey)
    expect((await asAnn.collection('posts').getFullList()).map((p) => p.id).sort()).toEqual([pb.posts[0].id, pb.posts[1].id])

    // External auth (OAuth2 link) and the uploaded file.
    expect((await asAnn.collection('users').listExternalAuths(ann.id)).map((e) => [e.provider, e.providerId])).toEqual([['github', 'gh-4242']])
    const res = await fetch(guest.files.getURL(posts[0], posts[0].attachment))
    expect(res.status).toBe(200)
    expect(Buffer.from(await res.arrayBuffer())).toEqual(pb.attachmentBytes)
    expect(fs.existsSync(path.join(t.dataDir, 'storage', PB_POSTS_ID, pb.posts[0].id, `thumbs_${pb.posts[0].attachment}`, `100x100_${pb.posts[0].attachment}`))).toBe(true)

    // Settings and auth options.
    const settings = await su.settings.getAll()
    expect(settings.meta).toMatchObject({ appName: 'Imported App', appURL: 'https://app.example.com' })
    expect(settings.batch).toMatchObject({ enabled: true, maxRequests: 25, timeout: 4 })
    expect(settings.logs.maxDays).toBe(9)
    expect(settings.backups).toMatchObject({ cron: '0 3 * * *', cronMaxKeep: 5 })
    expect((await su.collections.getOne('users')).authToken.duration).toBe(pb.userAuthDuration)
    expect(await su.logs.getOne('log000000000001')).toMatchObject({ message: 'GET /api/health', level: 0, data: { status: 200 } })
    await s.close()

    // A second import into the now non-empty target is refused and changes nothing.
    const again = runImport(pb.dir, t)
    expect(again.status).toBe(1)
    expect(again.stderr).toMatch(/not empty/)
    const s2 = await serve(t)
    const su2 = s2.client()
    await su2.collection('_superusers').authWithPassword(pb.superuser.email, pb.superuser.password)
    expect(await su2.collection('posts').getFullList()).toHaveLength(3)
  })

  it('a dry run checks everything and writes nothing', async () => {
    const pb = fixture({ encryptedSettings: true })
    const t = await newTarget(store)
    const run = runImport(pb.dir, t, '--dry-run')
    expect(run.stderr).toBe('')
    expect(run.status).toBe(0)
    expect(run.stdout).toMatch(/posts\s+source\s+3\s+target\s+3\s+ok/)
    expect(run.stdout).toContain('Would import 6 collections (1 view), 8 records; files: 1 uploaded + 1 thumbnails.')
    expect(run.stdout).toMatch(/settings: they are encrypted/)
    expect(run.stdout).toContain('nothing was written')
    expect(await targetCollections(t)).toBe(0)
    expect(fs.existsSync(t.dataDir)).toBe(false)
  })

  it('a broken data dir rolls everything back: no collection, no record, no file', async () => {
    const pb = fixture({ duplicateEmail: true })
    const t = await newTarget(store)
    const run = runImport(pb.dir, t)
    expect(run.status).toBe(1)
    expect(run.stderr).toMatch(/unique|duplicate/i)
    expect(await targetCollections(t)).toBe(0)
    expect(storedFiles(t)).toBe(0)
  })
})
