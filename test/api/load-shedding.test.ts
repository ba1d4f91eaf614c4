// Load shedding through HTTP: past the in-flight limit, or while the event loop lags, new requests get
// 503 + Retry-After at once; health and the superuser admin API stay served; the metric counts refusals.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, waitFor, type TestServer } from '../support/server.ts'
import { isExempt } from '../../src/http/load-shedding.ts'

describe('isExempt', () => {
  it('exempts health, metrics, realtime, the superuser admin API and superuser login; not records', () => {
    for (const p of ['/api/health', '/api/health?x=1', '/api/metrics', '/api/realtime', '/api/settings', '/api/logs/stats', '/api/jobs', '/api/webhooks/deliveries/x/replay', '/api/collections/_superusers/auth-with-password'])
      expect(isExempt(p), p).toBe(true)
    for (const p of ['/api/collections/posts/records', '/api/healthz', '/api/collections/users/auth-with-password', '/api/settingsx'])
      expect(isExempt(p), p).toBe(false)
  })
})

describe('in-flight limit', () => {
  let s: TestServer
  let release: () => void = () => {}
  beforeAll(async () => {
    s = await startServer({ maxInFlight: 1, maxEventLoopDelayMs: 0 })
    s.app.routerAdd('GET', '/api/hold', async (e) => {
      await new Promise<void>((r) => { release = r })
      return e.json(200, { held: true })
    })
  })
  afterAll(() => s?.close())

  it('refuses a second request with 503 + Retry-After while one is in flight, then serves again', async () => {
    const held = fetch(`${s.url}/api/hold`)
    await waitFor(async () => (await fetch(`${s.url}/api/collections/users/records`)).status === 503, 5000, 'a shed request')
    const refused = await fetch(`${s.url}/api/collections/users/records`)
    expect(refused.status).toBe(503)
    expect(refused.headers.get('retry-after')).toBe('1')
    expect(await refused.json()).toEqual({ status: 503, message: 'The server is overloaded; retry the request shortly.', data: {} })
    expect((await fetch(`${s.url}/api/health`)).status).toBe(200)
    const su = await s.superuser()
    expect((await su.settings.getAll()).meta).toBeTruthy()
    const metrics = await (await fetch(`${s.url}/api/metrics`, { headers: { authorization: su.authStore.token } })).text()
    expect(Number(/basalt_http_requests_shed_total (\d+)/.exec(metrics)?.[1])).toBeGreaterThanOrEqual(2)
    release()
    expect((await held).status).toBe(200)
    await waitFor(async () => (await fetch(`${s.url}/api/collections/users/records`)).status !== 503, 5000, 'served again')
  })
})

describe('event-loop delay limit', () => {
  let s: TestServer
  beforeAll(async () => { s = await startServer({ maxInFlight: 0, maxEventLoopDelayMs: 500 }) })
  afterAll(() => s?.close())

  it('sheds while the loop lagged past the limit, and recovers once it catches up', async () => {
    await new Promise((r) => setTimeout(r, 1100)) // the monitor's first window after start
    const until = Date.now() + 1200
    while (Date.now() < until) { /* block the event loop this server shares with the test */ }
    const shed = await waitFor(async () => (await fetch(`${s.url}/api/collections/users/records`)).status === 503, 3000, 'a shed request')
    expect(shed).toBe(true)
    expect((await fetch(`${s.url}/api/health`)).status).toBe(200)
    await waitFor(async () => (await fetch(`${s.url}/api/collections/users/records`)).status !== 503, 5000, 'served again')
  })
})
