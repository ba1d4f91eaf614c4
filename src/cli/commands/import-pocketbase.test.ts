// Unit tests of the PocketBase importer's edges: what it refuses, and what it leaves out and reports.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createApp } from '../../app.ts'
import { resolveConfig } from '../../config.ts'
import { main } from '../main.ts'
import { importPocketbase } from './import-pocketbase.ts'
import { buildPocketBaseDataDir, PB_POSTS_ID } from '../../../test/support/pocketbase-fixture.ts'

const cleanups: (() => void)[] = []
afterEach(() => { for (const c of cleanups.splice(0)) c() })

function target() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'basalt-pbunit-'))
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }))
  return resolveConfig({ dataDir: path.join(dir, 'data'), databaseUrl: null, logLevel: 'silent' })
}

function pbDir(tweak?: (db: Database.Database) => void): string {
  const f = buildPocketBaseDataDir({ tweak })
  cleanups.push(f.cleanup)
  return f.dir
}

function editCollection(db: Database.Database, name: string, edit: (c: { fields: Record<string, unknown>[]; indexes: string[] }) => void) {
  const row = db.prepare('SELECT fields, indexes FROM _collections WHERE name = ?').get(name) as { fields: string; indexes: string }
  const c = { fields: JSON.parse(row.fields), indexes: JSON.parse(row.indexes) }
  edit(c)
  db.prepare('UPDATE _collections SET fields = ?, indexes = ? WHERE name = ?').run(JSON.stringify(c.fields), JSON.stringify(c.indexes), name)
}

describe('import-pocketbase edges', { timeout: 60_000 }, () => {
  it('refuses what is not a PocketBase v0.23+ data dir, writing nothing', async () => {
    const config = target()
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'not-pb-'))
    cleanups.push(() => fs.rmSync(empty, { recursive: true, force: true }))
    await expect(importPocketbase({ pbDir: empty, config })).rejects.toThrow(/not a PocketBase data directory/)
    await expect(importPocketbase({ pbDir: path.join(empty, 'missing'), config })).rejects.toThrow(/no such directory/)
    const old = new Database(path.join(empty, 'data.db'))
    old.exec(`CREATE TABLE _collections (id TEXT PRIMARY KEY, system BOOLEAN, type TEXT, name TEXT, schema JSON, indexes JSON, options JSON)`)
    old.close()
    await expect(importPocketbase({ pbDir: empty, config })).rejects.toThrow(/older than v0\.23/)
    await expect(importPocketbase({ pbDir: empty, config: { ...config, dataDir: empty + '/' } })).rejects.toThrow(/must not be the PocketBase data dir/)
    expect(fs.existsSync(config.dataDir)).toBe(false)
  })

  it('leaves out an unknown field type, an expression index, unknown or rejected settings, and reports each (and files on S3 or missing)', async () => {
    const dir = pbDir((db) => {
      editCollection(db, 'posts', (c) => {
        c.fields.push({ id: 'x1', name: 'shape', type: 'polygon', system: false, hidden: false, presentable: false })
        c.indexes.push('CREATE INDEX `idx_lower_title` ON `posts` (lower(title))')
      })
      db.exec(`ALTER TABLE posts ADD COLUMN shape TEXT DEFAULT '' NOT NULL`)
      const settings = JSON.parse(String((db.prepare(`SELECT value FROM _params WHERE id = 'settings'`).get() as { value: Buffer }).value))
      settings.meta.appURL = 'not a url'
      settings.experimental = { on: true }
      settings.logs.extra = 1
      settings.s3 = { enabled: true, bucket: 'pb-files', region: 'r', endpoint: 'https://s3.example.com', accessKey: 'a', secret: 's', forcePathStyle: false }
      db.prepare(`UPDATE posts SET attachment = 'gone_abc123.txt' WHERE id = 'p00000000000002'`).run()
      db.prepare(`UPDATE _params SET value = ? WHERE id = 'settings'`).run(JSON.stringify(settings))
    })
    const config = target()
    const r = await importPocketbase({ pbDir: dir, config })
    const notCarried = r.report.notCarried.map((n) => n.what)
    expect(notCarried).toEqual(expect.arrayContaining([
      'posts.shape (field type "polygon")',
      'posts index "CREATE INDEX `idx_lower_title` ON `posts` (lower(title))"',
      'settings.meta.appURL', 'settings.experimental', 'settings.logs.extra',
    ]))
    expect(notCarried).toContain('uploaded files in S3 bucket "pb-files"')
    expect(r.report.warnings).toEqual(expect.arrayContaining([expect.stringContaining('1 file(s) named by records are not in storage/ (downloads will answer 404): posts/p00000000000002/gone_abc123.txt')]))
    expect(r.summary.find((s) => s.name === 'posts')).toMatchObject({ expected: 3, target: 3 })
    // The rest of the meta section is kept; the rejected URL falls back to Basalt's default.
    const db = new Database(path.join(config.dataDir, 'data.db'), { readonly: true })
    try {
      const stored = JSON.parse((db.prepare(`SELECT value FROM _params WHERE id = 'settings'`).get() as { value: string }).value)
      expect(stored.meta).toEqual({ appName: 'Imported App', senderName: 'Imported', senderAddress: 'noreply@example.com', hideControls: false })
      expect(stored.logs).toEqual({ maxDays: 9, minLevel: 0, logIP: true, logAuthId: false })
      const cols = (db.prepare(`SELECT name FROM pragma_table_info('posts')`).all() as { name: string }[]).map((c) => c.name)
      expect(cols).not.toContain('shape')
    } finally { db.close() }
  })

  it('an invalid collection name is fatal: nothing is written, no file copied', async () => {
    const dir = pbDir((db) => {
      db.prepare(`UPDATE _collections SET name = 'posts"; DROP TABLE users; --' WHERE name = 'posts'`).run()
      db.exec(`ALTER TABLE posts RENAME TO "posts""; DROP TABLE users; --"`)
    })
    const config = target()
    await expect(importPocketbase({ pbDir: dir, config })).rejects.toThrow(/invalid name/)
    expect(fs.existsSync(path.join(config.dataDir, 'storage', PB_POSTS_ID))).toBe(false)
  })

  it('leaves out PocketBase\'s installer placeholder superuser', async () => {
    const dir = pbDir((db) => {
      db.prepare(`INSERT INTO _superusers (id, password, tokenKey, email, emailVisibility, verified, created, updated) VALUES ('inst00000000001', 'x', 'installer-token-key-000000000000000', '__pbinstaller@example.com', 0, 1, '', '')`).run()
    })
    const r = await importPocketbase({ pbDir: dir, config: target(), dryRun: true })
    expect(r.summary.find((s) => s.name === '_superusers')).toMatchObject({ expected: 1, copied: 1 })
    expect(r.report.notCarried.map((n) => n.what)).toContain('superuser __pbinstaller@example.com')
  })

  it('a users collection under another id: Basalt starts on the result without adding a second one', async () => {
    const dir = pbDir((db) => {
      db.prepare(`UPDATE _collections SET id = 'pbc_users_custom' WHERE name = 'users'`).run()
      editCollection(db, 'posts', (c) => { for (const f of c.fields) if (f.type === 'relation') f.collectionId = 'pbc_users_custom' })
      db.prepare(`UPDATE _externalAuths SET collectionRef = 'pbc_users_custom'`).run()
    })
    const config = target()
    await importPocketbase({ pbDir: dir, config })
    const app = await createApp({ ...config, port: 0 })
    try {
      expect(app.collections.find('users')?.id).toBe('pbc_users_custom')
      expect(app.collections.find('_pb_users_auth_')).toBeUndefined()
    } finally { await app.close() }
  })

  it('usage errors exit 2', async () => {
    const err = vi.spyOn(console, 'error').mockImplementation(() => {})
    try {
      expect(await main(['import-pocketbase'])).toBe(2)
      expect(await main(['import-pocketbase', 'a', 'b'])).toBe(2)
      expect(await main(['import-pocketbase', 'a', '--bogus'])).toBe(2)
      expect(err.mock.calls.flat().join('\n')).toContain('Usage: basalt import-pocketbase PB_DATA_DIR')
    } finally { err.mockRestore() }
  })
})
