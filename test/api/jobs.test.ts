// Jobs, cron and workflow admin API over HTTP (SDK where it has a method): superuser-only, PocketBase shapes, hostile input.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, waitFor, type TestServer } from '../support/server.ts'
import { failure, raw, signUp, DATE_RE, type Client } from './helpers.ts'
import { DeferJob } from '../../src/jobs/defer.ts'

let s: TestServer
let su: Client
let user: Awaited<ReturnType<typeof signUp>>

beforeAll(async () => {
  s = await startServer()
  su = await s.superuser()
  user = await signUp(s)
  await su.collections.create({ name: 'orders', type: 'base', fields: [{ name: 'total', type: 'number' }], createRule: '' })
})
afterAll(() => s?.close())

const list = (pb: Client, query: Record<string, unknown> = {}) => pb.send('/api/jobs', { query })

describe('who may use the jobs, crons and workflows API', () => {
  const routes: [string, string][] = [
    ['GET', '/api/jobs'], ['GET', '/api/jobs/stats'], ['GET', '/api/jobs/abc'], ['POST', '/api/jobs/abc/retry'],
    ['POST', '/api/jobs/abc/cancel'], ['DELETE', '/api/jobs'], ['GET', '/api/crons'], ['POST', '/api/crons/__basaltAuthCleanup__'],
    ['GET', '/api/workflows'], ['GET', '/api/workflows/abc'],
  ]
  it.each(routes)('%s %s: 401 for guests, 403 for users, and nothing happens', async (method, path) => {
    const guest = await raw(s, path, { method })
    expect(guest.status).toBe(401)
    expect(guest.json).toMatchObject({ status: 401, data: {} })
    const asUser = await raw(s, path, { method, token: user.token })
    expect(asUser.status).toBe(403)
    expect(asUser.json).toMatchObject({ status: 403, data: {} })
  })
})

describe('jobs API', () => {
  it('lists jobs in the PocketBase list shape, filters by state and name, and shows one job', async () => {
    s.app.jobs.define('api-ok', (job) => ({ got: job.payload }))
    const id = await s.app.jobs.enqueue('api-ok', { hello: 'world' })
    await s.app.jobs.waitFor(id)
    const page = await list(su, { state: 'completed', name: 'api-ok', perPage: 10 })
    expect(page).toMatchObject({ page: 1, perPage: 10, totalItems: 1, totalPages: 1 })
    expect(page.items[0]).toMatchObject({ id, name: 'api-ok', state: 'completed', attempt: 1, payload: { hello: 'world' }, output: { got: { hello: 'world' } } })
    expect(page.items[0].created).toMatch(DATE_RE)
    expect(await su.send(`/api/jobs/${id}`, {})).toMatchObject({ id, state: 'completed' })
    expect((await list(su, { state: 'failed', name: 'api-ok' })).totalItems).toBe(0)
  })

  it('retries a dead job and cancels a queued one; wrong states are 400, unknown ids 404', async () => {
    let fail = true
    s.app.jobs.define('api-dead', () => { if (fail) throw new Error('upstream down') }, { maxAttempts: 1 })
    const id = await s.app.jobs.enqueue('api-dead', null)
    await s.app.jobs.waitFor(id, 'failed')
    expect((await failure(su.send(`/api/jobs/${id}/cancel`, { method: 'POST' }))).status).toBe(400)
    fail = false
    const retried = await su.send(`/api/jobs/${id}/retry`, { method: 'POST' })
    // It may already be running (or done) by the time the response is built.
    expect(['queued', 'active', 'completed']).toContain(retried.state)
    expect(await s.app.jobs.waitFor(id)).toMatchObject({ state: 'completed', lastError: 'upstream down' })

    const later = await s.app.jobs.enqueue('api-dead', null, { delayMs: 60_000 })
    expect((await failure(su.send(`/api/jobs/${later}/retry`, { method: 'POST' }))).status).toBe(400)
    expect(await su.send(`/api/jobs/${later}/cancel`, { method: 'POST' })).toMatchObject({ state: 'cancelled' })
    for (const path of ['/api/jobs/nope', '/api/jobs/nope/retry', '/api/jobs/nope/cancel']) {
      const f = await failure(su.send(path, { method: path.endsWith('nope') ? 'GET' : 'POST' }))
      expect(f.status).toBe(404)
      expect(f.body).toMatchObject({ status: 404, message: 'Missing or invalid job.', data: {} })
    }
  })

  it('a handler that throws DeferJob is queued again at runAt without using up an attempt', async () => {
    let calls = 0
    s.app.jobs.define('api-defer', () => { if (++calls < 3) throw new DeferJob(Date.now() + 50, 'not now') }, { maxAttempts: 1 })
    const id = await s.app.jobs.enqueue('api-defer', null)
    const done = await s.app.jobs.waitFor(id)
    expect(calls).toBe(3)
    // Two deferrals and maxAttempts 1: still completed, on its one counted attempt.
    expect(done).toMatchObject({ state: 'completed', attempt: 1, lastError: 'not now' })
  })

  it('counts per state and purges only finished jobs', async () => {
    const stats = await su.send('/api/jobs/stats', {})
    expect(stats.total).toEqual({ queued: expect.any(Number), active: expect.any(Number), completed: expect.any(Number), failed: expect.any(Number), cancelled: expect.any(Number) })
    expect(stats.names['api-ok'].completed).toBe(1)
    const queuedBefore = stats.total.queued
    expect((await failure(su.send('/api/jobs', { method: 'DELETE', query: { state: 'queued' } }))).status).toBe(400)
    expect(await su.send('/api/jobs', { method: 'DELETE', query: { state: 'completed', name: 'api-ok' } })).toEqual({ deleted: 1 })
    const after = await su.send('/api/jobs/stats', {})
    expect(after.names['api-ok']).toBeUndefined()
    expect(after.total.queued).toBe(queuedBefore)
  })

  it('rejects hostile list parameters with a 400 and changes nothing', async () => {
    for (const query of [{ state: "queued' OR 1=1 --" }, { page: 'x' }, { sort: 'payload' }]) {
      const f = await failure(list(su, query))
      expect(f.status).toBe(400)
      expect(f.body).toMatchObject({ status: 400, data: expect.any(Object) })
    }
    expect((await failure(su.send('/api/jobs', { method: 'DELETE', query: { state: 'everything' } }))).status).toBe(400)
  })

  it('a job enqueued by a record hook commits with the record, or not at all', async () => {
    s.app.jobs.define('receipt', () => {})
    s.app.hooks.onRecordCreateExecute.bind(async (e) => {
      await s.app.jobs.enqueue('receipt', { total: e.record.get('total') })
      await e.next()
      if (Number(e.record.get('total')) < 0) throw new Error('negative total')
    }, { tags: ['orders'] })
    const ok = await user.pb.collection('orders').create({ total: 5 })
    expect(ok.total).toBe(5)
    expect((await failure(user.pb.collection('orders').create({ total: -1 }))).status).toBeGreaterThanOrEqual(400)
    await waitFor(async () => (await list(su, { name: 'receipt', state: 'completed' })).totalItems === 1, 5000, 'receipt job')
    const all = await list(su, { name: 'receipt' })
    expect(all.items.map((j: { payload: unknown }) => j.payload)).toEqual([{ total: 5 }])
    expect((await su.collection('orders').getFullList()).map((r) => r.total)).toEqual([5])
  })
})

describe('crons API (PocketBase shapes)', () => {
  it('lists app crons first, then system ones, and runs one now with a 204', async () => {
    let runs = 0
    s.app.cronAdd('nightly-report', '0 3 * * *', () => { runs++ })
    const crons = await su.crons.getFullList()
    expect(crons[0]).toEqual({ id: 'nightly-report', expression: '0 3 * * *' })
    expect(crons.map((c) => c.id)).toContain('__basaltAuthCleanup__')
    expect(await su.crons.run('nightly-report')).toBe(true)
    await waitFor(() => runs === 1, 5000, 'manual cron run')
    const f = await failure(su.crons.run('missing'))
    expect(f).toMatchObject({ status: 404, body: { message: 'Missing or invalid cron job.' } })
    s.app.cronRemove('nightly-report')
    expect((await su.crons.getFullList()).map((c) => c.id)).not.toContain('nightly-report')
  })
})

describe('workflows API', () => {
  it('shows a workflow, delivers a signal, and answers 404/400 for unknown ids and bad signals', async () => {
    s.app.workflows.define('approval', {
      steps: [
        { name: 'request', run: (ctx) => ({ asked: ctx.input }) },
        { name: 'approved', waitFor: 'approve' },
        { name: 'apply', run: (ctx) => ({ by: ctx.results.approved.by }) },
      ],
    })
    const id = await s.app.workflows.start('approval', { doc: 7 })
    await waitFor(async () => (await s.app.workflows.get(id))?.state === 'waiting', 5000, 'workflow waiting')
    expect(await su.send(`/api/workflows/${id}`, {})).toMatchObject({ id, name: 'approval', state: 'waiting', waitingFor: 'approve', stepName: 'approved' })
    expect((await failure(su.send(`/api/workflows/${id}/signal`, { method: 'POST', body: { name: '' } }))).status).toBe(400)
    await su.send(`/api/workflows/${id}/signal`, { method: 'POST', body: { name: 'approve', data: { by: 'alice' } } })
    await waitFor(async () => (await s.app.workflows.get(id))?.state === 'completed', 5000, 'workflow completed')
    expect((await su.send('/api/workflows', { query: { state: 'completed' } })).items[0]).toMatchObject({ id, results: { apply: { by: 'alice' } } })
    expect((await failure(su.send(`/api/workflows/${id}/cancel`, { method: 'POST' }))).status).toBe(400)
    expect((await failure(su.send('/api/workflows/nope', {}))).status).toBe(404)
  })
})
