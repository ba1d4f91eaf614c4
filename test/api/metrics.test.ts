// GET /api/metrics through HTTP: who may read it, Prometheus text, and counters that move with traffic.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type PocketBase from 'pocketbase'
import { startServer, TEST_STORE, type TestServer } from '../support/server.ts'
import { raw, signUp } from './helpers.ts'

const TOKEN = 'scrape-token-0123456789abcdef'
let s: TestServer
let su: PocketBase

beforeAll(async () => {
  s = await startServer({ metricsToken: TOKEN })
  su = await s.superuser()
})
afterAll(() => s?.close())

const scrape = async () => {
  const res = await raw(s, '/api/metrics', { token: `Bearer ${TOKEN}` })
  expect(res.status).toBe(200)
  return res.text
}

/** The value of one sample line, e.g. `basalt_realtime_clients` or `x{a="b"}` (0 when absent). */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `))
  return line ? Number(line.slice(series.length + 1)) : 0
}

const requestCount = (text: string, method: string, route: string, status: number) =>
  sample(text, `basalt_http_request_duration_seconds_count{method="${method}",route="${route}",status="${status}"}`)

describe('GET /api/metrics access', () => {
  it('a guest gets 401, PocketBase-shaped', async () => {
    const res = await raw(s, '/api/metrics')
    expect(res.status).toBe(401)
    expect(res.json).toEqual({ status: 401, message: expect.any(String), data: {} })
    expect(res.text).not.toContain('basalt_')
  })

  it('a wrong bearer token gets 401, a regular user 403', async () => {
    expect((await raw(s, '/api/metrics', { token: `Bearer ${TOKEN}x` })).status).toBe(401)
    expect((await raw(s, '/api/metrics', { token: `Bearer ${TOKEN.slice(0, -1)}` })).status).toBe(401)
    const { token } = await signUp(s)
    const res = await raw(s, '/api/metrics', { token })
    expect(res.status).toBe(403)
    expect(res.json).toMatchObject({ status: 403, data: {} })
  })

  it('the configured token (with or without "Bearer ") and a superuser get Prometheus text', async () => {
    for (const token of [`Bearer ${TOKEN}`, TOKEN, su.authStore.token]) {
      const res = await raw(s, '/api/metrics', { token })
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
      expect(res.headers.get('cache-control')).toBe('no-store')
      expect(res.text).toContain('# TYPE basalt_http_request_duration_seconds histogram')
    }
  })

  it('without a configured token only superusers may read it', async () => {
    const other = await startServer()
    try {
      const res = await fetch(`${other.url}/api/metrics`, { headers: { authorization: 'Bearer ' } })
      expect(res.status).toBe(401)
      const pb = await other.superuser()
      expect((await fetch(`${other.url}/api/metrics`, { headers: { authorization: pb.authStore.token } })).status).toBe(200)
    } finally {
      await other.close()
    }
  })
})

describe('metric values', () => {
  it('requests are counted by route pattern (not the raw URL) and status', async () => {
    const { pb } = await signUp(s)
    const before = await scrape()
    const route = '/api/collections/:collection/records/:id'
    const seen = requestCount(before, 'GET', route, 404)
    await raw(s, '/api/collections/users/records/nosuchid000001')
    await raw(s, '/api/collections/users/records/nosuchid000002')
    await pb.collection('users').getList(1, 1)
    const after = await scrape()
    expect(requestCount(after, 'GET', route, 404)).toBe(seen + 2)
    expect(requestCount(after, 'GET', '/api/collections/:collection/records', 200)).toBeGreaterThanOrEqual(1)
    expect(after).not.toContain('nosuchid')
    // Unknown paths share one label, whatever the URL; custom routes are labelled with their pattern.
    await raw(s, '/no/such/path/abc')
    expect(requestCount(await scrape(), 'GET', 'other', 404)).toBeGreaterThanOrEqual(1)
    s.app.routerAdd('GET', '/api/hello/{name}', (e) => e.json(200, { hi: e.request.pathValue('name') }))
    await raw(s, '/api/hello/ann')
    await raw(s, '/api/hello/bob')
    const custom = await scrape()
    expect(requestCount(custom, 'GET', '/api/hello/{name}', 200)).toBe(2)
    expect(custom).not.toContain('/api/hello/ann')
    // The histogram has buckets and a sum.
    expect(after).toMatch(/basalt_http_request_duration_seconds_bucket\{le="0\.005",method="GET",route="\/api\/collections\/:collection\/records\/:id",status="404"\} \d+/)
  })

  it('in-flight requests: the scrape itself is the one in flight', async () => {
    expect(sample(await scrape(), 'basalt_http_requests_in_flight')).toBe(1)
  })

  it('process and event-loop metrics come from the app registry', async () => {
    const text = await scrape()
    expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(0)
    expect(text).toContain('nodejs_heap_size_used_bytes')
    expect(text).toContain('nodejs_eventloop_lag_p99_seconds')
  })

  it('database use: PostgreSQL pool connections, or the SQLite writer queue', async () => {
    const text = await scrape()
    if (TEST_STORE === 'postgres') {
      expect(sample(text, 'basalt_db_pool_connections{state="total"}')).toBeGreaterThan(0)
      expect(text).toContain('basalt_db_waiting{store="postgres"} 0')
    } else {
      expect(text).toContain('basalt_db_waiting{store="sqlite"} 0')
      expect(text).not.toContain('basalt_db_pool_connections{')
    }
  })

  it('realtime clients and delivered messages', async () => {
    const pb = s.client()
    const before = await scrape()
    const delivered = sample(before, 'basalt_realtime_messages_delivered_total')
    const got: unknown[] = []
    const unsubscribe = await pb.collection('users').subscribe('*', (e) => got.push(e))
    try {
      const mid = await scrape()
      expect(sample(mid, 'basalt_realtime_clients')).toBe(sample(before, 'basalt_realtime_clients') + 1)
      // The open stream is not a request in flight.
      expect(sample(mid, 'basalt_http_requests_in_flight')).toBe(1)
      // PB_CONNECT was written to the stream.
      expect(sample(mid, 'basalt_realtime_messages_delivered_total')).toBeGreaterThan(delivered)
      expect(mid).toContain('basalt_realtime_messages_dropped_total 0')
    } finally {
      await unsubscribe()
      pb.realtime.unsubscribe()
    }
  })

  it('rate-limit refusals are counted', async () => {
    const other = await startServer({ metricsToken: TOKEN })
    try {
      const root = await other.superuser()
      await root.settings.update({ rateLimits: { enabled: true, rules: [{ label: '/api/health', audience: '', maxRequests: 1, duration: 60 }], excludedIPs: [] } })
      const statuses = []
      for (let i = 0; i < 3; i++) statuses.push((await fetch(`${other.url}/api/health`)).status)
      expect(statuses).toEqual([200, 429, 429])
      const text = await (await fetch(`${other.url}/api/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text()
      expect(sample(text, 'basalt_rate_limit_refusals_total{kind="rules"}')).toBe(2)
      expect(sample(text, 'basalt_http_requests_shed_total')).toBe(0)
    } finally {
      await other.close()
    }
  })

  it('load shedding reports through setShedSource', async () => {
    let shed = 0
    s.app.metrics.setShedSource(() => shed)
    shed = 7
    expect(sample(await scrape(), 'basalt_http_requests_shed_total')).toBe(7)
    s.app.metrics.setShedSource(() => 0)
  })
})
