// Load shedding through HTTP: past the in-flight limit, or while requests queue past the limit on a
// saturated loop, new requests get 503 + Retry-After at once; health and the superuser admin API stay
// served; the metric counts refusals. The accept-queue path is measured by bench/overload.ts (it needs a
// flood from another process) and its parts are unit-tested in src/http/accept-queue.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, waitFor, type TestServer } from '../support/server.ts'
import { isExempt, nextShedShare } from '../../src/http/load-shedding.ts'

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
    // A browser can read the refusal (CORS), and a refused body is not parsed as the next request.
    const fromBrowser = await fetch(`${s.url}/api/collections/users/records`, { headers: { origin: 'https://app.example.com' } })
    expect(fromBrowser.status).toBe(503)
    expect(fromBrowser.headers.get('access-control-allow-origin')).toBe('*')
    const withBody = await fetch(`${s.url}/api/collections/users/records`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'x@example.com' }) })
    expect(withBody.status).toBe(503)
    expect(withBody.headers.get('connection')).toBe('close')
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

describe('queueing limit (event-loop stall)', () => {
  let s: TestServer
  beforeAll(async () => { s = await startServer({ maxInFlight: 0, maxEventLoopDelayMs: 100 }) })
  afterAll(() => s?.close())

  it('refuses a growing share while the loop stays saturated and stalls past the limit, never health, and recovers', async () => {
    const statuses: number[] = []
    const until = Date.now() + 3000
    while (Date.now() < until) {
      // The server shares this loop: 150 ms stalls with short gaps keep it saturated, as a flood would.
      const blockUntil = Date.now() + 150
      while (Date.now() < blockUntil) { /* busy */ }
      statuses.push((await fetch(`${s.url}/api/collections/users/records`)).status)
      expect((await fetch(`${s.url}/api/health`)).status).toBe(200)
    }
    const late = statuses.slice(Math.floor(statuses.length / 2))
    expect(statuses[0]).toBe(200) // the first window had not seen the stall yet
    expect(late.filter((x) => x === 503).length).toBeGreaterThan(late.length / 2)
    expect(statuses.every((x) => x === 200 || x === 503)).toBe(true)
    await waitFor(async () => (await fetch(`${s.url}/api/collections/users/records`)).status === 200, 5000, 'served again')
  })

  it('does not shed after one long stall (a slow task or GC pause is not a queue)', async () => {
    // Idle windows bring any share left by the test before back to 0 (0.05 per 50 ms window).
    await new Promise((r) => setTimeout(r, 1500))
    const blockUntil = Date.now() + 1500
    while (Date.now() < blockUntil) { /* one 1.5 s stall, 15× the limit */ }
    const statuses = await Promise.all(Array.from({ length: 20 }, () => fetch(`${s.url}/api/collections/users/records`).then((r) => r.status)))
    expect(statuses).toEqual(Array(20).fill(200))
  })
})

describe('nextShedShare (the controller step)', () => {
  const busy = (stallMs: number, acceptWaitMs = 0) => ({ utilisation: 1, stallMs, acceptWaitMs })
  it('does not shed a loop with idle time, however long one stall was', () => {
    expect(nextShedShare(0, { utilisation: 0.5, stallMs: 5000, acceptWaitMs: 0 }, 500)).toBe(0)
  })
  it('does not shed a saturated loop whose requests wait less than the limit (a busy closed loop)', () => {
    expect(nextShedShare(0, busy(400, 300), 500)).toBe(0)
  })
  it('raises the share with how far past the limit the wait is, from the stall or the accept queue', () => {
    const a = nextShedShare(0, busy(600), 500)
    const b = nextShedShare(0, busy(20, 1500), 500)
    expect(a).toBeGreaterThan(0)
    expect(b).toBeGreaterThan(a)
    let share = 0
    for (let i = 0; i < 100; i++) share = nextShedShare(share, busy(10_000), 500)
    expect(share).toBeLessThan(1) // some requests always get through
    expect(share).toBeGreaterThan(0.9)
  })
  it('lowers the share faster once the loop has idle time than while it stays saturated', () => {
    const idle = nextShedShare(0.5, { utilisation: 0.3, stallMs: 0, acceptWaitMs: 0 }, 500)
    const saturated = nextShedShare(0.5, busy(50), 500)
    expect(idle).toBeLessThan(saturated)
    expect(saturated).toBeLessThan(0.5)
  })
})
