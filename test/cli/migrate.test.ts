// `basalt migrate|export|import` as a user runs them: usage errors, schema migration, SQLite -> PostgreSQL, then serve.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { createApp } from '../../src/app.ts'
import { resolveConfig } from '../../src/config.ts'
import { guestRequest } from '../../src/rules/request-info.ts'
import { waitFor } from '../support/server.ts'
import { POSTGRES_URL, probe } from '../support/services.ts'
import { freePort } from '../support/ports.ts'

const BIN = path.resolve('bin/basalt.js')
const children: ChildProcess[] = []
const dirs: string[] = []
const tempDir = () => { const d = fs.mkdtempSync(path.join(os.tmpdir(), 'basalt-migrate-')); dirs.push(d); return d }
// DATABASE_URL from the caller's shell must not redirect the SQLite cases.
const baseEnv = (): NodeJS.ProcessEnv => { const e: NodeJS.ProcessEnv = { ...process.env, BASALT_LOG_LEVEL: 'silent' }; delete e.DATABASE_URL; return e }

function run(args: string[], env: NodeJS.ProcessEnv = baseEnv()) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000, env })
}

function runAsync(args: string[], env: NodeJS.ProcessEnv): Promise<{ status: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    children.push(child)
    let out = ''
    child.stdout!.on('data', (d) => (out += d))
    child.stderr!.on('data', (d) => (out += d))
    child.once('exit', (status) => resolve({ status, out }))
  })
}

/** A SQLite data dir with a public `notes` collection and one record, written through the services. */
async function seedSqlite(): Promise<{ dir: string; id: string }> {
  const dir = tempDir()
  const app = await createApp(resolveConfig({ dataDir: dir, logLevel: 'silent' }))
  try {
    const notes = await app.collections.create({ name: 'notes', listRule: '', viewRule: '', fields: [{ name: 'text', type: 'text' }, { name: 'done', type: 'bool' }, { name: 'extra', type: 'json' }] })
    const root = guestRequest({ auth: { collection: app.collections.get('_superusers'), record: { id: 'test' } } })
    const rec = await app.records.create(notes, { body: { text: 'moved', done: true, extra: { a: [1, 2] } }, files: new Map() }, {}, root) as { id: string }
    return { dir, id: rec.id }
  } finally {
    await app.close()
  }
}

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL')
})
afterAll(() => { for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true }) })

describe('basalt migrate / export / import', () => {
  it('prints help with exit 0 and rejects bad arguments with exit 2', () => {
    const help = run(['migrate', '--help'])
    expect(help.status).toBe(0)
    expect(help.stdout).toContain('--from=SOURCE --to=TARGET')
    expect(run(['export', '--help']).status).toBe(0)
    expect(run(['import', '--help']).status).toBe(0)
    for (const args of [
      ['migrate', '--bogus'], ['migrate', 'extra'], ['migrate', '--force'], ['migrate', '--from=/tmp/x'],
      ['migrate', '--from=ftp://host/x', '--to=/tmp/y'], ['migrate', '--from=/tmp/a', '--to=/tmp/a'],
      ['migrate', '--from=/tmp/a', '--to=/tmp/b', '--dir=/tmp/c'], ['export'], ['import'], ['import', 'a', 'b'],
    ]) {
      const r = run(args)
      expect({ args, status: r.status }).toEqual({ args, status: 2 })
      expect(r.stderr).toMatch(/^basalt: /)
    }
  }, 60_000)

  it('migrates an SQLite data dir, reports a missing source, and round-trips export/import', async () => {
    const dir = tempDir()
    expect(run(['migrate', `--dir=${dir}`]).status).toBe(0)
    expect(fs.existsSync(path.join(dir, 'data.db'))).toBe(true)
    const missing = run(['migrate', `--from=sqlite://${path.join(dir, 'nope.db')}`, `--to=${path.join(tempDir(), 'x.db')}`])
    expect(missing.status).toBe(1)
    expect(missing.stderr).toContain('no Basalt database')

    const { dir: src } = await seedSqlite()
    const file = path.join(tempDir(), 'dump.jsonl')
    const exported = run(['export', `--dir=${src}`, `--out=${file}`])
    expect(exported.status, exported.stderr).toBe(0)
    const dest = tempDir()
    const imported = run(['import', file, `--dir=${dest}`])
    expect(imported.status, imported.stderr).toBe(0)
    expect(imported.stdout).toMatch(/notes\s+source\s+1\s+target\s+1\s+ok/)
    const again = run(['import', file, `--dir=${dest}`])
    expect(again.status).toBe(1)
    expect(again.stderr).toContain('not empty')
  }, 60_000)
})

const postgres = probe('postgres')
if (!postgres) console.warn(`SKIP postgres: no PostgreSQL at ${POSTGRES_URL}; the CLI SQLite -> PostgreSQL tests are skipped`)

describe.skipIf(!postgres)('basalt migrate with PostgreSQL', () => {
  const dbs: string[] = []
  async function admin(text: string) {
    const client = new pg.Client({ connectionString: POSTGRES_URL })
    await client.connect()
    try { await client.query(text) } finally { await client.end() }
  }
  async function database(): Promise<string> {
    const name = `basalt_m_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`
    await admin(`CREATE DATABASE ${name}`)
    dbs.push(name)
    const url = new URL(POSTGRES_URL)
    url.pathname = `/${name}`
    return url.toString()
  }
  afterAll(async () => { for (const d of dbs) await admin(`DROP DATABASE IF EXISTS ${d} WITH (FORCE)`) })

  it('creates the schema, concurrently from several nodes', async () => {
    const url = await database()
    const env = { ...baseEnv(), DATABASE_URL: url }
    const runs = await Promise.all([1, 2, 3].map(() => runAsync(['migrate'], env)))
    expect(runs.map((r) => r.status), runs.map((r) => r.out).join('\n')).toEqual([0, 0, 0])
    expect(run(['migrate'], env).status).toBe(0) // and again: an upgrade of an up-to-date schema is a no-op
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    try {
      // Each bootstrap collection exactly once, however many nodes raced.
      const names = (await client.query('SELECT "name" FROM "_collections"')).rows.map((r) => r.name)
      expect(names).toEqual(expect.arrayContaining(['_superusers', 'users']))
      expect(new Set(names).size).toBe(names.length)
    } finally {
      await client.end()
    }
  }, 60_000)

  it('copies an SQLite deployment to PostgreSQL, which then serves the same record', async () => {
    const { dir, id } = await seedSqlite()
    const url = await database()
    const copied = run(['migrate', `--from=sqlite://${path.join(dir, 'data.db')}`, `--to=${url}`])
    expect(copied.status, copied.stderr).toBe(0)
    expect(copied.stdout).toMatch(/notes\s+source\s+1\s+target\s+1\s+ok/)
    expect(copied.stdout).toContain('storage')
    const twice = run(['migrate', `--from=${dir}`, `--to=${url}`])
    expect(twice.status).toBe(1)
    expect(twice.stderr).toContain('not empty')

    const port = await freePort()
    const child = spawn(process.execPath, [BIN, 'serve', `--http=127.0.0.1:${port}`, `--dir=${tempDir()}`], {
      env: { ...baseEnv(), DATABASE_URL: url }, stdio: ['ignore', 'pipe', 'pipe'],
    })
    children.push(child)
    let output = ''
    child.stdout!.on('data', (d) => (output += d))
    child.stderr!.on('data', (d) => (output += d))
    const base = `http://127.0.0.1:${port}`
    await waitFor(async () => (await fetch(`${base}/api/health`).catch(() => null))?.ok, 15_000, `server on ${port}: ${output}`)
    const res = await fetch(`${base}/api/collections/notes/records/${id}`)
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ id, text: 'moved', done: true, extra: { a: [1, 2] }, collectionName: 'notes' })
  }, 60_000)
})
