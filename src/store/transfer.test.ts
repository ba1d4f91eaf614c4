// Whole-database copy: a seeded SQLite app moved to SQLite, PostgreSQL and a dump file reads back identically.
import type { ListResult } from '../core/records/record-service.ts'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp, openStore, type App } from '../app.ts'
import { resolveConfig, type Config } from '../config.ts'
import { SUPERUSERS_NAME } from '../core/collections/types.ts'
import { rowToRecord } from '../core/records/record-io.ts'
import { guestRequest, type RequestInfo } from '../rules/request-info.ts'
import { POSTGRES_URL, probe } from '../../test/support/services.ts'
import { sql } from './sql.ts'
import { readDump, transfer, withSnapshot, writeDump, type DumpItem } from './transfer.ts'
import { writeDumpFile } from '../cli/commands/export.ts'
import { readDumpFile } from '../cli/commands/import.ts'

const NOTES = 1234 // more than two batches of 500
const PASSWORD = 'secret-password-1'
// Stands in for bookkeeping tables later migrations add (TOTP enrollments…): not collections, copied verbatim.
const XTRA_DDL = `CREATE TABLE IF NOT EXISTS "_xtra" ("id" TEXT PRIMARY KEY NOT NULL, "n" INTEGER DEFAULT 0 NOT NULL, "secret" TEXT DEFAULT '' NOT NULL)`
const dirs: string[] = []
const tempDir = () => { const d = fs.mkdtempSync(path.join(os.tmpdir(), 'basalt-transfer-')); dirs.push(d); return d }
const config = (over: Partial<Config>) => resolveConfig({ dataDir: tempDir(), logLevel: 'silent' }, over)
const asRoot = (app: App): RequestInfo => guestRequest({ auth: { collection: app.collections.get(SUPERUSERS_NAME), record: { id: 'test' } } })
const body = (b: Record<string, unknown>) => ({ body: b, files: new Map() })

async function admin(text: string) {
  const client = new pg.Client({ connectionString: POSTGRES_URL })
  await client.connect()
  try { await client.query(text) } finally { await client.end() }
}

/** Seeds every field kind the copy converts: bool, number, json, single/multi select and relation, autodate, auth. */
async function seed(app: App) {
  const root = asRoot(app)
  const create = (name: string, b: Record<string, unknown>) => app.records.create(app.collections.get(name), body(b), {}, root) as Promise<{ id: string }>
  await app.collections.create({ name: 'tags', fields: [{ name: 'label', type: 'text' }] })
  await app.collections.create({
    name: 'posts', listRule: '', viewRule: '',
    fields: [
      { name: 'title', type: 'text' }, { name: 'views', type: 'number' }, { name: 'ratio', type: 'number' },
      { name: 'published', type: 'bool' }, { name: 'meta', type: 'json' }, { name: 'when', type: 'date' },
      { name: 'status', type: 'select', values: ['draft', 'live'], maxSelect: 1 },
      { name: 'flags', type: 'select', values: ['a', 'b', 'c'], maxSelect: 3 },
      { name: 'tags', type: 'relation', collectionId: app.collections.get('tags').id, maxSelect: 5 },
      { name: 'author', type: 'relation', collectionId: app.collections.get('users').id, maxSelect: 1 },
      { name: 'attachments', type: 'file', maxSelect: 3 },
      { name: 'created', type: 'autodate', onCreate: true }, { name: 'updated', type: 'autodate', onCreate: true, onUpdate: true },
    ],
    indexes: ['CREATE INDEX idx_posts_title ON posts (title)'],
  })
  await app.collections.create({ name: 'notes', fields: [{ name: 'n', type: 'number' }] })
  // A view collection travels as its definition and is re-created on the target (snapshot reads it).
  await app.collections.create({ name: 'post_titles', type: 'view', viewQuery: 'SELECT id, title, views FROM posts' })
  await app.collections.create({ name: 'members', type: 'auth', fields: [{ name: 'nick', type: 'text' }] })
  const users = []
  for (const email of ['ann@example.com', 'bob@example.com']) users.push(await create('users', { email, password: PASSWORD, passwordConfirm: PASSWORD, name: email.split('@')[0] }))
  await create('members', { email: 'mem@example.com', password: PASSWORD, passwordConfirm: PASSWORD, nick: 'm' })
  const tags = [await create('tags', { label: 'x' }), await create('tags', { label: 'y' })]
  await create('posts', { title: 'full', views: 42, ratio: 0.25, published: true, meta: { deep: [1, { k: 'v' }], s: 'é' }, when: '2024-01-02 03:04:05.678Z', status: 'live', flags: ['a', 'c'], tags: tags.map((t) => t.id), author: users[0].id })
  await create('posts', { title: 'empty' })
  await create('posts', { title: 'scalars', meta: 'just a string', published: false, views: -1.5, flags: ['b'] })
  for (let i = 0; i < NOTES; i++) await create('notes', { n: i })
  await app.store.exec(XTRA_DDL)
  for (let i = 0; i < 3; i++) await app.store.run(sql`INSERT INTO "_xtra" ("id", "n", "secret") VALUES (${`x${i}`}, ${i}, ${`s${i}`})`)
  const members = app.collections.get('members')
  const member = (await app.store.get(sql`SELECT * FROM "members"`))!
  return { token: await app.auth.issueAuthToken(members, rowToRecord(members, member)), memberId: String(member.id) }
}

/** Every stored row of every collection, decoded (password hashes and token keys included). */
async function snapshot(app: App) {
  const out: Record<string, unknown[]> = {}
  for (const c of app.collections.all()) {
    const rows = await app.store.all(sql`SELECT * FROM ${app.store.dialect.ident(c.name)}`)
    out[c.name] = rows.map((r) => rowToRecord(c, r)).sort((a, b) => String(a.id).localeCompare(String(b.id)))
  }
  out._xtra = await app.store.all(sql`SELECT * FROM "_xtra" ORDER BY "id"`)
  return out
}

/** What clients see: list (insertion order, expanded relations) and view of every post. */
async function apiView(app: App) {
  const posts = app.collections.get('posts')
  const q = { page: 1, perPage: 1000, sort: '@rowid', filter: '', expand: 'tags,author', fields: '', skipTotal: false }
  const list = await app.records.list(posts, q, asRoot(app)) as ListResult
  const views = await Promise.all(list.items.map((p) => app.records.view(posts, String((p as { id: string }).id), { expand: 'tags' }, guestRequest())))
  const notes = await app.records.list(app.collections.get('notes'), { ...q, expand: '', perPage: 1000, page: 2 }, asRoot(app)) as ListResult
  return { list, views, notes }
}

let source: App
let seeded: Awaited<ReturnType<typeof seed>>
let expected: Awaited<ReturnType<typeof snapshot>>
let expectedApi: Awaited<ReturnType<typeof apiView>>

beforeAll(async () => {
  source = await createApp(config({}))
  seeded = await seed(source)
  expected = await snapshot(source)
  expectedApi = await apiView(source)
  // Guard the fixture itself, so an empty comparison cannot pass.
  expect(expectedApi.list.items).toHaveLength(3)
  expect(expectedApi.notes.items).toHaveLength(NOTES - 1000)
  expect(expectedApi.list.items[0]).toMatchObject({ published: true, flags: ['a', 'c'], meta: { deep: [1, { k: 'v' }] }, expand: { author: { email: 'ann@example.com' } } })
}, 120_000)

afterAll(async () => {
  await source?.close()
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true })
})

async function checkTarget(cfg: Config) {
  const app = await createApp(cfg)
  try {
    expect(await snapshot(app)).toEqual(expected)
    expect(JSON.parse(JSON.stringify(await apiView(app)))).toEqual(JSON.parse(JSON.stringify(expectedApi)))
    // The auth secrets came along: an old token still authenticates, and passwords still verify.
    expect((await app.auth.authenticate(seeded.token))?.record.id).toBe(seeded.memberId)
    const login = await app.auth.authWithPassword(app.collections.get('users'), { identity: 'bob@example.com', password: PASSWORD }, {}, guestRequest({ method: 'POST' }))
    expect((await app.auth.authenticate(login.token))?.record.email).toBe('bob@example.com')
  } finally {
    await app.close()
  }
}

/** Freshly migrated target, as `basalt migrate` leaves it: only the empty bootstrap collections. */
async function freshTarget(cfg: Config, opts: { xtra?: boolean } = {}) {
  await (await createApp(cfg)).close()
  const store = openStore(cfg)
  if (opts.xtra ?? true) await store.exec(XTRA_DDL)
  return store
}

async function copyAndCheck(cfg: Config) {
  const target = await freshTarget(cfg)
  try {
    const summary = await transfer(source.store, target)
    expect(summary.filter((s) => !s.id.startsWith('table:') || s.name === '_xtra').map((s) => [s.name, s.expected, s.copied, s.target]).sort()).toEqual(
      Object.entries(expected).filter(([name]) => name !== 'post_titles').map(([name, rows]) => [name, rows.length, rows.length, rows.length]).sort())
    await expect(transfer(source.store, target)).rejects.toThrow(/not empty/)
    await expect(transfer(source.store, target, { force: true })).rejects.toThrow(/refusing to merge/)
  } finally {
    await target.close()
  }
  await checkTarget(cfg)
}

/** A dump that goes wrong only at its very end must leave the target exactly as it was. */
async function failLateAndCheckUntouched(cfg: Config) {
  const target = await freshTarget(cfg)
  try {
    const before = await target.all(sql`SELECT "id", "name" FROM "_collections" ORDER BY "id"`)
    async function* lying(): AsyncGenerator<DumpItem> {
      for await (const item of withSnapshotItems()) yield item.type === 'end' ? { ...item, counts: { ...item.counts, [source.collections.get('notes').id]: NOTES + 1 } } : item
    }
    await expect(writeDump(target, lying())).rejects.toThrow(/count mismatch in notes/)
    expect(await target.all(sql`SELECT "id", "name" FROM "_collections" ORDER BY "id"`)).toEqual(before)
    await expect(target.get(sql`SELECT COUNT(*) AS "n" FROM "posts"`)).rejects.toThrow()
  } finally {
    await target.close()
  }
}

/** The source items, materialized (the snapshot transaction cannot outlive its callback). */
async function* withSnapshotItems(): AsyncGenerator<DumpItem> {
  const items = await withSnapshot(source.store, async (db) => { const all: DumpItem[] = []; for await (const i of readDump(db, source.store.dialect)) all.push(i); return all })
  yield* items
}

describe('transfer to SQLite', () => {
  it('refuses a target that lacks one of the source\'s bookkeeping tables, writing nothing', async () => {
    const target = await freshTarget(config({}), { xtra: false })
    try {
      await expect(transfer(source.store, target)).rejects.toThrow(/no table _xtra/)
      await expect(target.get(sql`SELECT 1 FROM "notes"`)).rejects.toThrow()
    } finally {
      await target.close()
    }
  })

  it('copies every record, definition and secret, and refuses to copy twice', async () => {
    await copyAndCheck(config({}))
  }, 60_000)

  it('leaves the target untouched when the copy fails', async () => {
    await failLateAndCheckUntouched(config({}))
  }, 60_000)

  it('round-trips through a dump file; a truncated file writes nothing', async () => {
    const file = path.join(tempDir(), 'dump.jsonl')
    const counts = await withSnapshot(source.store, (db) => writeDumpFile(file, readDump(db, source.store.dialect)))
    expect(counts[source.collections.get('notes').id]).toBe(NOTES)
    const truncated = file + '.cut'
    const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n')
    fs.writeFileSync(truncated, lines.slice(0, -1).join('\n') + '\n')
    const cfg = config({})
    const target = await freshTarget(cfg)
    try {
      await expect(writeDump(target, readDumpFile(truncated))).rejects.toThrow(/incomplete/)
      await expect(target.get(sql`SELECT 1 FROM "notes"`)).rejects.toThrow()
      await writeDump(target, readDumpFile(file))
    } finally {
      await target.close()
    }
    await checkTarget(cfg)
  }, 60_000)
})

const postgres = probe('postgres')
if (!postgres) console.warn(`SKIP postgres: no PostgreSQL at ${POSTGRES_URL}; the SQLite -> PostgreSQL transfer tests are skipped`)

describe.skipIf(!postgres)('transfer to PostgreSQL', () => {
  const dbs: string[] = []
  async function database() {
    const name = `basalt_m_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`
    await admin(`CREATE DATABASE ${name}`)
    dbs.push(name)
    const url = new URL(POSTGRES_URL)
    url.pathname = `/${name}`
    return config({ databaseUrl: url.toString() })
  }
  afterAll(async () => { for (const d of dbs) await admin(`DROP DATABASE IF EXISTS ${d} WITH (FORCE)`) })

  it('copies every record, definition and secret, and refuses to copy twice', async () => {
    await copyAndCheck(await database())
  }, 60_000)

  it('leaves the target untouched when the copy fails', async () => {
    await failLateAndCheckUntouched(await database())
  }, 60_000)

  it('exports from PostgreSQL and imports back into SQLite identically', async () => {
    const pgCfg = await database()
    const pgTarget = await freshTarget(pgCfg)
    const file = path.join(tempDir(), 'from-pg.jsonl')
    try {
      await transfer(source.store, pgTarget)
      await withSnapshot(pgTarget, (db) => writeDumpFile(file, readDump(db, pgTarget.dialect)))
    } finally {
      await pgTarget.close()
    }
    const cfg = config({})
    const target = await freshTarget(cfg)
    try { await writeDump(target, readDumpFile(file)) } finally { await target.close() }
    await checkTarget(cfg)
  }, 60_000)
})
