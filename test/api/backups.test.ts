// Backups through the SDK (pb.backups): create/list/download/upload/delete/restore, hostile keys and archives, schedule, health.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type PocketBase from 'pocketbase'
import { startServer, TEST_STORE, waitFor, type TestServer } from '../support/server.ts'
import { listZip, extractEntry } from '../../src/backups/zip-reader.ts'
import { runScheduledBackup } from '../../src/backups/backup-schedule.ts'
import { failure, raw, signUp } from './helpers.ts'

let s: TestServer
let su: PocketBase
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'basalt-backups-test-'))
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }))

const zipFile = (bytes: Buffer, name: string) => new File([new Uint8Array(bytes)], name, { type: 'application/zip' })
const keys = async () => (await su.backups.getFullList()).map((b) => b.key).sort()

async function download(key: string): Promise<{ status: number; file: string }> {
  const res = await fetch(su.backups.getDownloadURL(await su.files.getToken(), key))
  const file = path.join(tmp, `dl-${Math.random().toString(36).slice(2)}.zip`)
  fs.writeFileSync(file, Buffer.from(await res.arrayBuffer()))
  return { status: res.status, file }
}

beforeAll(async () => {
  s = await startServer()
  su = await s.superuser()
  await su.collections.create({ name: 'notes', listRule: '', viewRule: '', createRule: '', fields: [{ name: 'text', type: 'text' }, { name: 'att', type: 'file', maxSelect: 1 }] })
})
afterAll(() => s?.close())

describe('access', () => {
  it('guests get 401, users 403, download needs a superuser file token (403 otherwise)', async () => {
    const guest = s.client()
    for (const call of [() => guest.backups.getFullList(), () => guest.backups.create('x.zip'), () => guest.backups.delete('x.zip'), () => guest.backups.restore('x.zip'),
      () => guest.backups.upload({ file: zipFile(Buffer.from('PK'), 'x.zip') })]) {
      const f = await failure(call())
      expect(f.status).toBe(401)
      expect(f.body.data).toEqual({})
    }
    const user = await signUp(s)
    for (const call of [() => user.pb.backups.getFullList(), () => user.pb.backups.create('x.zip'), () => user.pb.backups.delete('x.zip'), () => user.pb.backups.restore('x.zip')]) {
      expect((await failure(call())).status).toBe(403)
    }
    expect((await raw(s, '/api/backups/x.zip')).status).toBe(403)
    expect((await raw(s, `/api/backups/x.zip?token=${await user.pb.files.getToken()}`)).status).toBe(403)
    expect((await raw(s, `/api/backups/x.zip?token=${su.authStore.token}`)).status).toBe(403) // auth token, not a file token
    expect((await raw(s, '/api/backups/x.zip', { token: su.authStore.token })).status).toBe(403)
  })

  it('health tells superusers whether a backup can be made', async () => {
    expect((await s.client().health.check()).data).toEqual({})
    const data = (await su.health.check()).data
    expect(data).toMatchObject({ canBackup: TEST_STORE === 'sqlite', realIP: '127.0.0.1', possibleProxyHeader: '' })
  })
})

describe.skipIf(TEST_STORE !== 'sqlite')('backups on SQLite', () => {
  it('creates a named backup holding data.db, auxiliary.db and the storage files; downloads it with a file token', async () => {
    const form = new FormData()
    form.append('text', 'before backup')
    form.append('att', new File(['attached bytes'], 'note.txt', { type: 'text/plain' }))
    const note = await su.collection('notes').create(form)
    expect(await su.backups.create('test1.zip')).toBe(true)
    const list = await su.backups.getFullList()
    expect(list).toEqual([expect.objectContaining({ key: 'test1.zip' })])
    expect(list[0].size).toBeGreaterThan(0)
    expect(list[0].modified).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}Z$/)
    const { status, file } = await download('test1.zip')
    expect(status).toBe(200)
    const names = (await listZip(file)).map((e) => e.name)
    expect(names).toEqual(expect.arrayContaining(['data.db', 'auxiliary.db', `storage/${note.collectionId}/${note.id}/${note.att}`]))
    expect((await download('missing.zip')).status).toBe(404)
  })

  it('default names, name validation and duplicates follow PocketBase', async () => {
    await su.backups.create('')
    expect((await keys()).some((k) => /^pb_backup_\d{14}\.zip$/.test(k))).toBe(true)
    for (const name of ['!test.zip', 'Upper.zip', 'noext', '../x.zip', `${'a'.repeat(150)}.zip`]) {
      const f = await failure(su.backups.create(name))
      expect(f.status).toBe(400)
      expect(f.body.data?.name?.code).toBe('validation_match_invalid')
    }
    const dup = await failure(su.backups.create('test1.zip'))
    expect(dup.body.data?.name?.code).toBe('validation_backup_name_exists')
  })

  it('a snapshot taken while writes continue is a consistent database', async () => {
    let stop = false
    let written = 0
    const writer = (async () => { while (!stop) { await su.collection('notes').create({ text: `w${written}` }); written++ } })()
    await waitFor(() => written > 5, 5000, 'writes to start')
    await su.backups.create('during_writes.zip')
    const atEnd = written
    stop = true
    await writer
    const { file } = await download('during_writes.zip')
    const entry = (await listZip(file)).find((e) => e.name === 'data.db')!
    const db = path.join(tmp, 'snap.db')
    await extractEntry(file, entry, db)
    const Database = (await import('better-sqlite3')).default
    const conn = new Database(db, { readonly: true })
    expect(conn.pragma('integrity_check', { simple: true })).toBe('ok')
    const n = (conn.prepare(`SELECT COUNT(*) AS n FROM notes WHERE text LIKE 'w%'`).get() as { n: number }).n
    conn.close()
    expect(n).toBeGreaterThan(5)
    expect(n).toBeLessThanOrEqual(atEnd + 1)
  })

  it('uploads a zip under its file name; refuses non-zips, duplicates, unsafe names and a missing file', async () => {
    const { file } = await download('test1.zip')
    expect(await su.backups.upload({ file: zipFile(fs.readFileSync(file), 'uploaded.zip') })).toBe(true)
    expect(await keys()).toContain('uploaded.zip')
    const notZip = await failure(su.backups.upload({ file: new File(['just text'], 'text.zip', { type: 'application/zip' }) }))
    expect(notZip.status).toBe(400)
    expect(notZip.body.data?.file?.code).toBe('validation_invalid_mime_type')
    expect((await failure(su.backups.upload({ file: zipFile(fs.readFileSync(file), 'uploaded.zip') }))).body.data?.file?.code).toBe('validation_backup_name_exists')
    expect((await failure(su.backups.upload({ file: zipFile(fs.readFileSync(file), '.hidden.zip') }))).body.data?.file?.code).toBe('validation_invalid_file_name')
    // Directory parts of a client file name are dropped by the multipart parser: what is stored is a flat key.
    for (const name of ['../escape.zip', 'a/b.zip']) await su.backups.upload({ file: zipFile(fs.readFileSync(file), name) }).catch(() => {})
    expect((await keys()).every((k) => !k.includes('/') && !k.startsWith('.'))).toBe(true)
    expect(fs.existsSync(path.join(s.dir, '..', 'escape.zip'))).toBe(false)
    const form = new FormData()
    form.append('other', 'x')
    expect((await failure(su.send('/api/backups/upload', { method: 'POST', body: form }))).body.data?.file?.code).toBe('validation_required')
    expect(fs.existsSync(path.join(s.dir, 'escape.zip'))).toBe(false)
    expect(await keys()).not.toContain('text.zip')
  })

  it('path traversal in keys never reaches outside the backups dir', async () => {
    const token = await su.files.getToken()
    for (const key of ['..%2Fdata.db', '..%2F..%2Fetc%2Fpasswd', '%2e%2e', '.hidden', 'a%2F..%2F..%2Fdata.db']) {
      expect((await raw(s, `/api/backups/${key}?token=${token}`)).status).toBe(404)
      // 400 from the handler, or 404 when the URL parser already resolved the dots to another route.
      expect([400, 404]).toContain((await raw(s, `/api/backups/${key}`, { method: 'DELETE', token: su.authStore.token })).status)
      expect([400, 404]).toContain((await raw(s, `/api/backups/${key}/restore`, { method: 'POST', token: su.authStore.token })).status)
    }
    expect(fs.existsSync(path.join(s.dir, 'data.db'))).toBe(true)
    expect(fs.existsSync(path.join(s.dir, '.restore'))).toBe(false)
  })

  it('restoring a corrupt or foreign zip answers 400 and changes nothing', async () => {
    const { file } = await download('test1.zip')
    const bytes = fs.readFileSync(file)
    const dataEntry = (await listZip(file)).find((e) => e.name === 'data.db')!
    const corrupt = Buffer.from(bytes)
    corrupt[dataEntry.offset + 30 + 'data.db'.length + 100] ^= 0xff
    await su.backups.upload({ file: zipFile(corrupt, 'corrupt.zip') })
    const before = await su.collection('notes').getFullList()
    const f = await failure(su.backups.restore('corrupt.zip'))
    expect(f.status).toBe(400)
    expect(f.body.message).toMatch(/restore/i)
    expect(fs.existsSync(path.join(s.dir, '.restore'))).toBe(false)
    expect(fs.readdirSync(s.dir).filter((n) => n.startsWith('.restore'))).toEqual([])
    expect(await su.collection('notes').getFullList()).toEqual(before)
    expect((await failure(su.backups.restore('missing.zip'))).status).toBe(400)
  })

  it('deletes a backup (400 when missing)', async () => {
    expect(await su.backups.delete('uploaded.zip')).toBe(true)
    expect(await keys()).not.toContain('uploaded.zip')
    expect((await failure(su.backups.delete('uploaded.zip'))).status).toBe(400)
  })

  it('scheduled backups follow settings.backups.cron and keep cronMaxKeep automatic ones', async () => {
    const bad = await failure(su.settings.update({ backups: { cron: 'not a cron' } }))
    expect(bad.body.data?.backups?.cron?.code).toBe('validation_invalid_cron')
    await su.settings.update({ backups: { cron: '* * * * * *', cronMaxKeep: 2 } })
    await waitFor(async () => (await keys()).some((k) => k.startsWith('auto_pb_backup_')), 8000, 'a scheduled backup')
    await su.settings.update({ backups: { cron: '' } })
    // Pruning, deterministic: two more automatic runs with distinct stamps leave the newest two.
    let t = Date.UTC(2030, 0, 1)
    const clock = { now: () => new Date((t += 1000)) }
    await runScheduledBackup(s.app.backups, clock, 2)
    const last = await runScheduledBackup(s.app.backups, clock, 2)
    const autos = (await keys()).filter((k) => k.startsWith('auto_pb_backup_'))
    expect(autos).toHaveLength(2)
    expect(autos).toContain(last)
    expect(await keys()).toContain('test1.zip') // manual backups are never pruned
  })

  it('settings.backups.s3 merges key by key and never returns the secret', async () => {
    await su.settings.update({ backups: { s3: { bucket: 'b', secret: 's3-secret' } } })
    await su.settings.update({ backups: { s3: { region: 'eu', secret: '' } } })
    const got = await su.settings.getAll()
    expect(got.backups.s3).toMatchObject({ bucket: 'b', region: 'eu', secret: '', enabled: false })
    expect(JSON.stringify(got)).not.toContain('s3-secret')
    expect((await s.app.settings.get()).backups.s3.secret).toBe('s3-secret')
    const bad = await failure(su.settings.update({ backups: { s3: { enabled: true, bucket: '' } } }))
    expect(bad.body.data?.backups?.s3?.bucket?.code).toBe('validation_required')
  })
})

describe.skipIf(TEST_STORE !== 'postgres')('backups on PostgreSQL', () => {
  it('answers a clear 400 for create, upload and restore; lists nothing', async () => {
    expect(await su.backups.getFullList()).toEqual([])
    const f = await failure(su.backups.create('x.zip'))
    expect(f.status).toBe(400)
    expect(f.body.message).toMatch(/pg_dump/)
    expect((await failure(su.backups.upload({ file: zipFile(Buffer.from('PK'), 'x.zip') }))).status).toBe(400)
    expect((await failure(su.backups.restore('x.zip'))).status).toBe(400)
  })
})
