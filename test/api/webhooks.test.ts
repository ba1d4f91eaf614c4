// Webhooks end to end: endpoints managed by superusers through the SDK as `_webhooks` records, events
// POSTed to a real local HTTP receiver signed per Standard Webhooks, retried after failures, logged in
// `_webhookDeliveries`, and private targets refused unless allowed.
import http from 'node:http'
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Webhook } from 'standardwebhooks'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createTestDatabase, startServer, TEST_STORE, waitFor, type TestServer } from '../support/server.ts'
import { DEFAULTS, resolveConfig } from '../../src/config.ts'
import { createApp } from '../../src/app.ts'
import { sql } from '../../src/store/sql.ts'
import { WEBHOOKS_ID } from '../../src/events/webhooks/collections.ts'
import { isPrivateAddress } from '../../src/events/webhooks/ssrf.ts'
import { failure, raw, signUp, type Client } from './helpers.ts'

interface Received { headers: http.IncomingHttpHeaders; body: string }

/** A receiver answering `statuses` in turn (then 200), or what `statuses()` says, recording every request. */
async function receiver(statuses: number[] | (() => number) = []) {
  const got: Received[] = []
  const server = http.createServer((req, res) => {
    let body = ''
    req.on('data', (c) => { body += c })
    req.on('end', () => {
      got.push({ headers: req.headers, body })
      res.writeHead((typeof statuses === 'function' ? statuses() : statuses.shift()) ?? 200, { 'content-type': 'text/plain' }).end(`ok ${got.length}`)
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as { port: number }).port
  return { got, url: `http://127.0.0.1:${port}/hook`, close: () => new Promise((r) => server.close(r)) }
}

const secret = () => `whsec_${randomBytes(24).toString('base64')}`

let s: TestServer
let su: Client

beforeAll(async () => {
  s = await startServer({ events: { ...DEFAULTS.events, webhooksAllowPrivate: true, webhooksBreaker: { threshold: 3, cooldownMs: 700, maxCooldownMs: 5000 } }, jobs: { ...DEFAULTS.jobs, pollMs: 100 } })
  su = await s.superuser()
  await su.collections.create({ name: 'wh_orders', type: 'base', fields: [{ name: 'total', type: 'number' }], createRule: '', updateRule: '', deleteRule: '' })
  await su.collections.create({ name: 'wh_other', type: 'base', fields: [{ name: 'x', type: 'text' }], createRule: '' })
})
afterAll(() => s?.close())

describe('managing webhooks', () => {
  it('is superuser-only: guests and users cannot list or create webhooks or read deliveries', async () => {
    const user = await signUp(s)
    for (const pb of [s.client(), user.pb]) {
      expect((await failure(pb.collection('_webhooks').create({ url: 'http://example.com', secret: secret(), active: true }))).status).toBeGreaterThanOrEqual(400)
      expect((await failure(pb.collection('_webhooks').getList())).status).toBe(403)
      expect((await failure(pb.collection('_webhookDeliveries').getList())).status).toBe(403)
    }
  })

  it('validates the secret format with a field error', async () => {
    const f = await failure(su.collection('_webhooks').create({ url: 'http://example.com/x', secret: 'not-a-secret', active: true }))
    expect(f.status).toBe(400)
    expect(f.body.data?.secret?.code).toBe('validation_invalid_format')
  })
})

describe('delivering', () => {
  it('POSTs matching record events as signed CloudEvents; every secret of a rotation signs; deliveries are logged', async () => {
    const r = await receiver()
    const [oldSecret, newSecret] = [secret(), secret()]
    const hook = await su.collection('_webhooks').create({ url: r.url, collections: ['wh_orders'], events: ['create', 'delete'], secret: `${oldSecret} ${newSecret}`, active: true })
    try {
      const pb = s.client()
      const order = await pb.collection('wh_orders').create({ total: 3 })
      await pb.collection('wh_orders').update(order.id, { total: 4 }) // not subscribed
      await pb.collection('wh_other').create({ x: 'y' }) // other collection
      await pb.collection('wh_orders').delete(order.id)
      await waitFor(() => r.got.length >= 2, 10_000, 'two deliveries')
      await new Promise((res) => setTimeout(res, 300))
      expect(r.got).toHaveLength(2)
      const [created, deleted] = r.got.map((g) => JSON.parse(g.body))
      expect(created).toMatchObject({ type: 'basalt.record.create', subject: order.id, data: { total: 3 } })
      expect(deleted.type).toBe('basalt.record.delete')
      for (const key of [oldSecret, newSecret]) {
        const verified = new Webhook(key).verify(r.got[0].body, r.got[0].headers as Record<string, string>)
        expect((verified as { id: string }).id).toBe(created.id)
      }
      expect(r.got[0].headers['webhook-id']).toBe(created.id)
      const log = (await waitFor(async () => { const l = await su.collection('_webhookDeliveries').getFullList({ filter: `webhook = "${hook.id}"`, sort: 'created' }); return l.length >= 2 ? l : undefined }, 5000, 'two delivery rows'))!
      expect(log[0]).toMatchObject({ eventId: created.id, status: 'success', responseStatus: 200, attempt: 1, response: 'ok 1' })
      expect(typeof log[0].latencyMs).toBe('number')
    } finally {
      await su.collection('_webhooks').delete(hook.id)
      await r.close()
    }
  })

  it('retries a failing endpoint with the same webhook-id until it answers 2xx, logging each attempt', async () => {
    const r = await receiver([500, 503])
    const hook = await su.collection('_webhooks').create({ url: r.url, collections: ['wh_orders'], secret: secret(), active: true })
    try {
      const order = await s.client().collection('wh_orders').create({ total: 9 })
      await waitFor(() => r.got.length >= 3, 20_000, 'three attempts')
      const ids = r.got.map((g) => g.headers['webhook-id'])
      expect(new Set(ids).size).toBe(1)
      expect(JSON.parse(r.got[2].body).subject).toBe(order.id)
      const log = (await waitFor(async () => { const l = await su.collection('_webhookDeliveries').getFullList({ filter: `webhook = "${hook.id}"`, sort: 'attempt' }); return l.length >= 3 ? l : undefined }, 5000, 'three delivery rows'))!
      expect(log.map((d) => [d.attempt, d.status, d.responseStatus])).toEqual([[1, 'failed', 500], [2, 'failed', 503], [3, 'success', 200]])
    } finally {
      await su.collection('_webhooks').delete(hook.id)
      await r.close()
    }
  }, 30_000)

  it('sends nothing for an inactive webhook', async () => {
    const r = await receiver()
    const hook = await su.collection('_webhooks').create({ url: r.url, secret: secret(), active: false })
    try {
      await s.client().collection('wh_orders').create({ total: 1 })
      await new Promise((res) => setTimeout(res, 800))
      expect(r.got).toHaveLength(0)
    } finally {
      await su.collection('_webhooks').delete(hook.id)
      await r.close()
    }
  })
})

describe('circuit breaker', () => {
  it('opens after consecutive failures, defers deliveries while open, probes half-open and closes when the endpoint recovers', async () => {
    let failing = true
    const r = await receiver(() => (failing ? 500 : 200))
    const hook = await su.collection('_webhooks').create({ url: r.url, collections: ['wh_orders'], secret: secret(), active: true })
    const state = () => su.collection('_webhooks').getOne(hook.id)
    try {
      const pb = s.client()
      const a = await pb.collection('wh_orders').create({ total: 1 })
      const opened = (await waitFor(async () => { const h = await state(); return h.circuit === 'open' ? h : undefined }, 20_000, 'the circuit to open'))!
      expect(opened.failures).toBe(3)
      expect(Date.parse(opened.openUntil.replace(' ', 'T'))).toBeGreaterThan(Date.now() - 1000)
      // Written while open: deferred, not dropped.
      const b = await pb.collection('wh_orders').create({ total: 2 })
      // A half-open probe went out and failed: open again (a longer cool-down).
      await waitFor(async () => Number((await state()).failures) >= 4, 20_000, 'a failed probe')
      failing = false
      await waitFor(async () => { const h = await state(); return h.circuit === 'closed' && h.failures === 0 }, 20_000, 'the circuit to close')
      const ok = (id: string) => r.got.some((g) => JSON.parse(g.body).subject === id)
      await waitFor(async () => {
        const rows = await su.collection('_webhookDeliveries').getFullList({ filter: `webhook = "${hook.id}" && status = "success"` })
        return rows.length >= 2 ? rows : undefined
      }, 20_000, 'both events delivered')
      expect(ok(a.id) && ok(b.id)).toBe(true)
      // Every request the receiver got is a logged attempt, and a job's attempts are only those requests:
      // time spent deferred while the circuit was open used none.
      const log = await su.collection('_webhookDeliveries').getFullList({ filter: `webhook = "${hook.id}"` })
      expect(log).toHaveLength(r.got.length)
      const jobs = (await s.app.jobs.list({ name: '__basaltWebhook__', perPage: 1000 })).items.filter((j) => (j.payload as { webhookId: string }).webhookId === hook.id)
      expect(jobs).toHaveLength(2)
      for (const j of jobs) {
        expect(j.state).toBe('completed')
        const eventId = (j.payload as { event: { id: string } }).event.id
        expect(j.attempt).toBe(log.filter((d) => d.eventId === eventId).length)
      }
      // 3 failures opened it, then one failed probe per cool-down (700 ms, doubling): the rest of the time
      // both deliveries waited without knocking.
      const failed = log.filter((d) => d.status === 'failed').length
      expect(failed).toBeGreaterThanOrEqual(4)
      expect(failed).toBeLessThan(3 + 6)
    } finally {
      await su.collection('_webhooks').delete(hook.id)
      await r.close()
    }
  }, 60_000)
})

describe('replay', () => {
  it('sends the same event again (same webhook-id) as a new delivery, logged as a new row', async () => {
    const r = await receiver()
    const hook = await su.collection('_webhooks').create({ url: r.url, collections: ['wh_orders'], secret: secret(), active: true })
    try {
      const order = await s.client().collection('wh_orders').create({ total: 5 })
      const [first] = (await waitFor(async () => { const l = await su.collection('_webhookDeliveries').getFullList({ filter: `webhook = "${hook.id}"` }); return l.length ? l : undefined }, 10_000, 'the first delivery'))!
      const job = await su.send(`/api/webhooks/deliveries/${first.id}/replay`, { method: 'POST' })
      expect(job).toMatchObject({ name: '__basaltWebhook__', payload: { webhookId: hook.id, event: { id: first.eventId, subject: order.id } } })
      await waitFor(() => r.got.length >= 2, 10_000, 'the replayed request')
      expect(r.got.map((g) => g.headers['webhook-id'])).toEqual([first.eventId, first.eventId])
      expect(JSON.parse(r.got[1].body)).toEqual(JSON.parse(r.got[0].body))
      const log = (await waitFor(async () => { const l = await su.collection('_webhookDeliveries').getFullList({ filter: `webhook = "${hook.id}"`, sort: 'created' }); return l.length >= 2 ? l : undefined }, 5000, 'two delivery rows'))!
      expect(log.map((d) => [d.eventId, d.status])).toEqual([[first.eventId, 'success'], [first.eventId, 'success']])
      expect(log[1].id).not.toBe(first.id)
      // With its delivery jobs purged, the event is rebuilt from the outbox: the same envelope again.
      await s.app.jobs.purge({ name: '__basaltWebhook__' })
      await su.send(`/api/webhooks/deliveries/${first.id}/replay`, { method: 'POST' })
      await waitFor(() => r.got.length >= 3, 10_000, 'the replay from the outbox')
      expect(r.got[2].headers['webhook-id']).toBe(first.eventId)
      expect(JSON.parse(r.got[2].body)).toEqual(JSON.parse(r.got[0].body))
    } finally {
      await su.collection('_webhooks').delete(hook.id)
      await r.close()
    }
  })

  it('is superuser-only (401 guests, 403 users, nothing sent) and answers 404 for an unknown delivery', async () => {
    const r = await receiver()
    const hook = await su.collection('_webhooks').create({ url: r.url, collections: ['wh_orders'], secret: secret(), active: true })
    try {
      await s.client().collection('wh_orders').create({ total: 6 })
      const [d] = (await waitFor(async () => { const l = await su.collection('_webhookDeliveries').getFullList({ filter: `webhook = "${hook.id}"` }); return l.length ? l : undefined }, 10_000, 'a delivery'))!
      const user = await signUp(s)
      const path = `/api/webhooks/deliveries/${d.id}/replay`
      expect((await raw(s, path, { method: 'POST' })).status).toBe(401)
      const asUser = await raw(s, path, { method: 'POST', token: user.token })
      expect(asUser.status).toBe(403)
      expect(asUser.json).toMatchObject({ status: 403, data: {} })
      const missing = await failure(su.send('/api/webhooks/deliveries/nope123456789ab/replay', { method: 'POST' }))
      expect(missing.status).toBe(404)
      await new Promise((res) => setTimeout(res, 500))
      expect(r.got).toHaveLength(1)
      expect(await su.collection('_webhookDeliveries').getFullList({ filter: `webhook = "${hook.id}"` })).toHaveLength(1)
    } finally {
      await su.collection('_webhooks').delete(hook.id)
      await r.close()
    }
  })
})

describe('filter', () => {
  it('refuses a filter that does not parse or names an unknown field, on create and on update, changing nothing', async () => {
    const bad = await failure(su.collection('_webhooks').create({ url: 'http://example.com/x', secret: secret(), active: true, filter: 'total >' }))
    expect(bad.status).toBe(400)
    expect(bad.body.data?.filter?.code).toBe('validation_invalid_rule')
    const unknown = await failure(su.collection('_webhooks').create({ url: 'http://example.com/x', collections: ['wh_orders'], secret: secret(), active: true, filter: 'nope = 1' }))
    expect(unknown.status).toBe(400)
    expect(unknown.body.data?.filter?.code).toBe('validation_invalid_rule')
    expect(await su.collection('_webhooks').getFullList({ filter: 'url = "http://example.com/x"' })).toHaveLength(0)
    const hook = await su.collection('_webhooks').create({ url: 'http://example.com/y', collections: ['wh_orders'], secret: secret(), active: false, filter: 'total > 1' })
    try {
      const upd = await failure(su.collection('_webhooks').update(hook.id, { filter: 'total ~~ 1' }))
      expect(upd.status).toBe(400)
      expect(upd.body.data?.filter?.code).toBe('validation_invalid_rule')
      expect((await su.collection('_webhooks').getOne(hook.id)).filter).toBe('total > 1')
    } finally {
      await su.collection('_webhooks').delete(hook.id)
    }
  })

  it('hostile filters: oversized, SQL-looking or non-text input is a clear 400 and stores nothing', async () => {
    const base = { url: 'http://example.com/hostile', collections: ['wh_orders'], secret: secret(), active: true }
    for (const filter of ['total > 1'.padEnd(4000, ' '), "total = 1'; DROP TABLE wh_orders; --", 'total > 1) OR (1 = 1', '@collection.wh_orders.total ?= 1 &&']) {
      const f = await failure(su.collection('_webhooks').create({ ...base, filter }))
      expect(f.status, filter.slice(0, 40)).toBe(400)
      expect(f.body.data?.filter?.code, filter.slice(0, 40)).toMatch(/^validation_/)
    }
    expect(await su.collection('_webhooks').getFullList({ filter: 'url = "http://example.com/hostile"' })).toHaveLength(0)
    expect((await s.client().collection('wh_orders').create({ total: 1 })).total).toBe(1) // the table is still there
  })

  it('sends only the record events whose record matches, deletes included', async () => {
    const r = await receiver()
    const hook = await su.collection('_webhooks').create({ url: r.url, collections: ['wh_orders'], events: ['create', 'delete'], secret: secret(), active: true, filter: 'total >= 10 && total != 13' })
    try {
      const pb = s.client()
      const small = await pb.collection('wh_orders').create({ total: 3 })
      const big = await pb.collection('wh_orders').create({ total: 12 })
      await pb.collection('wh_orders').create({ total: 13 })
      await pb.collection('wh_orders').delete(small.id)
      await pb.collection('wh_orders').delete(big.id)
      await waitFor(() => r.got.length >= 2, 10_000, 'two deliveries')
      await new Promise((res) => setTimeout(res, 500))
      // Deliveries run as parallel jobs: arrival order is not guaranteed (docs/events.md), basaltseq is.
      const events = r.got.map((g) => JSON.parse(g.body)).sort((a, b) => Number(a.basaltseq) - Number(b.basaltseq))
      expect(events.map((e) => [e.type, e.subject])).toEqual([
        ['basalt.record.create', big.id], ['basalt.record.delete', big.id],
      ])
    } finally {
      await su.collection('_webhooks').delete(hook.id)
      await r.close()
    }
  })
})

describe('SSRF guard', () => {
  it('classifies loopback, private, link-local (metadata) and mapped addresses as private, public ones not', () => {
    for (const a of ['127.0.0.1', '10.1.2.3', '172.20.0.1', '192.168.1.1', '169.254.169.254', '0.0.0.0', '::1', 'fd00::1', 'fe80::1', '::ffff:127.0.0.1', '100.64.0.1']) expect(isPrivateAddress(a), a).toBe(true)
    for (const a of ['93.184.216.34', '8.8.8.8', '2606:4700::1111']) expect(isPrivateAddress(a), a).toBe(false)
  })

  it('refuses a loopback target when private targets are not allowed, and logs why', async () => {
    const locked = await startServer({ jobs: { ...DEFAULTS.jobs, pollMs: 100 } })
    const r = await receiver()
    try {
      const admin = await locked.superuser()
      await admin.collections.create({ name: 'wh_orders', type: 'base', fields: [{ name: 'total', type: 'number' }], createRule: '' })
      const hook = await admin.collection('_webhooks').create({ url: r.url, secret: secret(), active: true })
      await locked.client().collection('wh_orders').create({ total: 1 })
      const [row] = (await waitFor(async () => { const l = await admin.collection('_webhookDeliveries').getFullList({ filter: `webhook = "${hook.id}"` }); return l.length ? l : undefined }, 10_000, 'a failed delivery row'))!
      expect(row.status).toBe('failed')
      expect(row.error).toMatch(/private or loopback/)
      expect(r.got).toHaveLength(0)
    } finally {
      await r.close()
      await locked.close()
    }
  })
})

describe('upgrading', () => {
  it('a database created before the filter and circuit-breaker fields gains them at start, keeping its webhooks', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'basalt-wh-upgrade-'))
    const database = TEST_STORE === 'postgres' ? await createTestDatabase() : null
    const config = resolveConfig({ dataDir: dir, logLevel: 'silent', port: 0, databaseUrl: database?.url ?? null })
    const added = ['filter', 'circuit', 'failures', 'openUntil']
    try {
      let app = await createApp(config)
      await app.store.run(sql`INSERT INTO "_webhooks" ("id", "url", "secret", "active") VALUES ('oldhook00000001', 'https://example.com/h', ${secret()}, 1)`)
      // Make it look like an older version: the fields gone from the schema and their columns dropped.
      const row = await app.store.get<{ fields: unknown }>(sql`SELECT "fields" FROM "_collections" WHERE "id" = ${WEBHOOKS_ID}`)
      const fields = (typeof row!.fields === 'string' ? JSON.parse(row!.fields) : row!.fields) as { name: string }[]
      await app.store.run(sql`UPDATE "_collections" SET "fields" = ${JSON.stringify(fields.filter((f) => !added.includes(f.name)))} WHERE "id" = ${WEBHOOKS_ID}`)
      for (const c of added) await app.store.exec(`ALTER TABLE "_webhooks" DROP COLUMN "${c}"`)
      await app.close()

      app = await createApp(config)
      try {
        const names = app.collections.get('_webhooks').fields.map((f) => f.name)
        expect(names).toEqual(expect.arrayContaining(added))
        expect(names.slice(-2)).toEqual(['created', 'updated'])
        const [hook] = await app.store.all<Record<string, unknown>>(sql`SELECT "id", "url", "filter", "circuit", "failures", "openUntil" FROM "_webhooks"`)
        expect(hook).toMatchObject({ id: 'oldhook00000001', url: 'https://example.com/h', filter: '', circuit: '' })
        expect(Number(hook.failures)).toBe(0)
      } finally {
        await app.close()
      }
    } finally {
      await database?.drop()
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
