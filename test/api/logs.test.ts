// Request logs through the SDK (pb.logs): written asynchronously to the log store, listed/filtered/sorted, stats, retention.
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type PocketBase from 'pocketbase'
import { startServer, TEST_STORE, waitFor, type TestServer } from '../support/server.ts'
import { failure, raw, signUp } from './helpers.ts'

let s: TestServer
let su: PocketBase

/** Waits until a log whose url matches `url` is stored (logging is asynchronous by design). */
async function logFor(url: string) {
  return waitFor(async () => {
    await s.app.logs.writer.flush()
    const page = await su.logs.getList(1, 1, { filter: `data.url = ${JSON.stringify(url)}` })
    return page.items[0]
  }, 5000, `log of ${url}`)
}

beforeAll(async () => {
  s = await startServer()
  su = await s.superuser()
})
afterAll(() => s?.close())

describe('request logging', () => {
  it('logs each request with PocketBase data shape, on by default', async () => {
    await raw(s, '/api/health?probe=1', { headers: { 'user-agent': 'probe-agent', referer: 'http://ref.example/' } })
    const log = await logFor('/api/health?probe=1')
    expect(log).toMatchObject({ level: 0, message: 'GET /api/health?probe=1' })
    expect(log.id).toMatch(/^[a-z0-9]{15}$/)
    expect(log.created).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}Z$/)
    expect(log.data).toMatchObject({
      type: 'request', method: 'GET', url: '/api/health?probe=1', status: 200, auth: '',
      userAgent: 'probe-agent', referer: 'http://ref.example/', userIP: '127.0.0.1', remoteIP: '127.0.0.1',
    })
    expect(typeof log.data.execTime).toBe('number')
    expect(await su.logs.getOne(log.id)).toEqual(log)
    // SQLite: a separate auxiliary.db (PocketBase's layout); PostgreSQL: a `_logs` table of the main database.
    expect(fs.existsSync(path.join(s.dir, 'auxiliary.db'))).toBe(TEST_STORE === 'sqlite')
  })

  it('failed requests are logged at error level with the error message and the auth collection', async () => {
    const { pb } = await signUp(s)
    await failure(pb.collection('_superusers').getList(1, 1, { query: { marker: 'failing' } }))
    const log = await logFor('/api/collections/_superusers/records?page=1&perPage=1&marker=failing')
    expect(log.level).toBe(8)
    expect(log.data).toMatchObject({ status: 403, auth: 'users', method: 'GET' })
    expect(typeof log.data.error).toBe('string')
    expect(log.data.authId).toBeUndefined()
  })

  it('redacts ?token= values from logged URLs', async () => {
    await raw(s, '/api/health?token=secret-file-token&x=1')
    const log = await logFor('/api/health?token=***&x=1')
    expect(JSON.stringify(log)).not.toContain('secret-file-token')
  })

  it('filters and sorts in the rule language over the log fields; paging and skipTotal', async () => {
    for (let i = 0; i < 3; i++) await raw(s, `/api/health?seq=${i}`)
    await logFor('/api/health?seq=2')
    const page = await su.logs.getList(1, 2, { filter: 'data.url ~ "seq=" && level = 0', sort: '-data.url' })
    expect(page.totalItems).toBe(3)
    expect(page.totalPages).toBe(2)
    expect(page.items.map((l) => l.data.url)).toEqual(['/api/health?seq=2', '/api/health?seq=1'])
    const byRowid = await su.logs.getList(1, 3, { filter: 'data.url ~ "seq="', sort: 'rowid', skipTotal: true })
    expect(byRowid.items.map((l) => l.data.url)).toEqual(['/api/health?seq=0', '/api/health?seq=1', '/api/health?seq=2'])
    expect(byRowid.totalItems).toBe(-1)
    const bad = await failure(su.logs.getList(1, 1, { filter: 'nope = 1' }))
    expect(bad.status).toBe(400)
    const other = await failure(su.logs.getList(1, 1, { filter: '@collection.users.id != ""' }))
    expect(other.status).toBe(400)
  })

  it('stats are hourly counts as PocketBase shapes them, with filter', async () => {
    await logFor('/api/health?seq=2')
    const stats = await su.logs.getStats({ filter: 'data.url ~ "seq="' })
    expect(stats.length).toBeGreaterThanOrEqual(1)
    expect(stats.reduce((n, x) => n + x.total, 0)).toBe(3)
    for (const x of stats) expect(x.date).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:00:00\.000Z$/)
  })

  it('honours settings.logs: minLevel, logIP, logAuthId, and maxDays=0 turns logging off', async () => {
    await su.settings.update({ logs: { minLevel: 0, logIP: false, logAuthId: true } })
    await raw(s, '/api/health?noip=1', { token: su.authStore.token })
    const log = await logFor('/api/health?noip=1')
    expect(log.data.userIP).toBeUndefined()
    expect(log.data.authId).toBe(su.authStore.record!.id)
    await su.settings.update({ logs: { minLevel: 8 } })
    await raw(s, '/api/health?info-skipped=1')
    await raw(s, '/api/nope?error-kept=1')
    await logFor('/api/nope?error-kept=1')
    expect((await su.logs.getList(1, 1, { filter: 'data.url = "/api/health?info-skipped=1"' })).totalItems).toBe(0)
    await su.settings.update({ logs: { maxDays: 0, minLevel: 0 } })
    await raw(s, '/api/nope?off=1')
    await s.app.logs.writer.flush()
    expect((await su.logs.getList(1, 1, { filter: 'data.url = "/api/nope?off=1"' })).totalItems).toBe(0)
    await su.settings.update({ logs: { maxDays: 5, logIP: true, logAuthId: false } })
  })

  it('retention deletes logs older than maxDays', async () => {
    await s.app.logs.writer.flush()
    s.app.logs.writer.push({ id: 'oldlog000000001', level: 0, message: 'old', data: { type: 'request' }, created: '2000-01-01 00:00:00.000Z' })
    await s.app.logs.writer.flush()
    expect((await su.logs.getOne('oldlog000000001')).message).toBe('old')
    expect(await s.app.logs.cleanup()).toBeGreaterThanOrEqual(1)
    expect((await failure(su.logs.getOne('oldlog000000001'))).status).toBe(404)
    expect((await su.logs.getList(1, 1)).totalItems).toBeGreaterThan(0)
  })

  it('is for superusers only', async () => {
    const guest = s.client()
    expect((await failure(guest.logs.getList())).status).toBe(401)
    expect((await failure(guest.logs.getStats())).status).toBe(401)
    const { pb } = await signUp(s)
    expect((await failure(pb.logs.getList())).status).toBe(403)
    expect((await failure(pb.logs.getOne('abc'))).status).toBe(403)
    expect((await failure(su.logs.getOne('missing'))).status).toBe(404)
  })
})

describe('log writer', () => {
  it('drops and counts entries beyond its bounded queue instead of growing', async () => {
    const { LogWriter } = await import('../../src/logs/log-writer.ts')
    const w = new LogWriter(s.app.logs.store, { maxQueue: 5, batchSize: 1000, flushMs: 60_000 })
    for (let i = 0; i < 8; i++) w.push({ id: `bounded${String(i).padStart(8, '0')}`, level: 0, message: 'x', data: {}, created: '2099-01-01 00:00:00.000Z' })
    expect(w.pending).toBe(5)
    expect(w.dropped).toBe(3)
    await w.close()
    expect(w.written).toBe(5)
    expect((await su.logs.getList(1, 10, { filter: 'message = "x" && id ~ "bounded"' })).totalItems).toBe(5)
  })
})
