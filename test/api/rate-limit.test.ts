// Brute-force guard and general rate limits through the SDK: 429 + Retry-After, parallel bursts, proxies, bypasses.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type PocketBase from 'pocketbase'
import { startServer, type TestServer } from '../support/server.ts'
import { systemClock } from '../../src/core/clock.ts'
import { DEFAULT_BRUTE_FORCE } from '../../src/ratelimit/brute-force.ts'
import { PASSWORD, failure, raw, uniqueEmail } from './helpers.ts'

let s: TestServer
let su: PocketBase
// The limiter's memory store reads the app clock: tests move time forward instead of sleeping 5 minutes.
let offset = 0

const { perIdentity, perIp, windowSeconds } = DEFAULT_BRUTE_FORCE
let ipSeq = 0
/** A fresh client address per test, sent through the (trusted, loopback) proxy header. */
const nextIp = () => `198.51.100.${++ipSeq}`
const from = (ip: string) => ({ headers: { 'X-Forwarded-For': ip } })

beforeAll(async () => {
  vi.spyOn(systemClock, 'now').mockImplementation(() => new Date(Date.now() + offset))
  // The real defaults (test/support raises the per-IP budget for the other suites).
  s = await startServer({ authFailureLimits: DEFAULT_BRUTE_FORCE })
  su = await s.superuser()
  await su.settings.update({ trustedProxy: { headers: ['X-Forwarded-For'], useLeftmostIP: false } })
})
afterAll(async () => {
  await s?.close()
  vi.restoreAllMocks()
})

async function user() {
  const email = uniqueEmail('rl')
  await su.collection('users').create({ email, password: PASSWORD, passwordConfirm: PASSWORD })
  return email
}

const login = (email: string, password: string, ip: string) => s.client().collection('users').authWithPassword(email, password, from(ip))
const loginRaw = (email: string, password: string, ip: string) => raw(s, '/api/collections/users/auth-with-password', {
  method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': ip }, body: JSON.stringify({ identity: email, password }),
})

describe('brute-force guard (on by default)', () => {
  it(`F5: ${perIdentity} wrong passwords → 400; the next → 429 + Retry-After, even with the right password; after the window it works`, async () => {
    const email = await user()
    for (let i = 0; i < perIdentity; i++) expect((await failure(login(email, `wrong-${i}`, nextIp()))).status).toBe(400)
    // From yet another address and with different casing: the identity is what is locked.
    const locked = await loginRaw(email.toUpperCase(), 'wrong-again', nextIp())
    expect(locked.status).toBe(429)
    expect(locked.json).toEqual({ status: 429, message: 'Too Many Requests.', data: {} })
    const retryAfter = Number(locked.headers.get('retry-after'))
    expect(retryAfter).toBeGreaterThan(0)
    expect(retryAfter).toBeLessThanOrEqual(windowSeconds)
    // No password oracle while locked: the correct password gets the same 429.
    expect((await loginRaw(email, PASSWORD, nextIp())).status).toBe(429)
    offset += (retryAfter + 1) * 1000
    expect((await login(email, PASSWORD, nextIp())).record.email).toBe(email)
  })

  it(`F5: ${perIp} failures from one IP over many identities → that IP gets 429, other IPs do not`, async () => {
    const ip = nextIp()
    const email = await user()
    for (let i = 0; i < perIp; i++) expect((await failure(login(uniqueEmail('nobody'), 'wrong', ip))).status).toBe(400)
    const blocked = await loginRaw(email, PASSWORD, ip)
    expect(blocked.status).toBe(429)
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0)
    expect((await login(email, PASSWORD, nextIp())).record.email).toBe(email)
  })

  it('M9: 50 parallel wrong passwords on one identity → at most 10 are checked, the rest 429; the lock holds afterwards', async () => {
    const email = await user()
    const results = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => login(email, `wrong-${i}`, nextIp())))
    const statuses = results.map((r) => (r.status === 'rejected' ? (r.reason as { status: number }).status : 200))
    expect(statuses.filter((x) => x === 400).length).toBeLessThanOrEqual(perIdentity)
    expect(statuses.filter((x) => x === 429).length).toBeGreaterThanOrEqual(50 - perIdentity)
    expect(statuses).not.toContain(200)
    expect((await failure(login(email, PASSWORD, nextIp()))).status).toBe(429)
  })

  it('a successful login resets the identity counter but not the IP counter', async () => {
    const ip = nextIp()
    const email = await user()
    for (let i = 0; i < perIdentity - 1; i++) await failure(login(email, 'wrong', ip))
    await login(email, PASSWORD, ip)
    // The identity starts over: another perIdentity-1 failures are still answered 400.
    for (let i = 0; i < perIdentity - 1; i++) expect((await failure(login(email, 'wrong', ip))).status).toBe(400)
    // The IP kept all 2×(perIdentity-1) failures: only the rest of its budget is left.
    const left = perIp - 2 * (perIdentity - 1)
    for (let i = 0; i < left; i++) expect((await failure(login(uniqueEmail('x'), 'wrong', ip))).status).toBe(400)
    expect((await failure(login(uniqueEmail('x'), 'wrong', ip))).status).toBe(429)
  })

  it('successful logins never count: many in a row from one IP all succeed', async () => {
    const ip = nextIp()
    const email = await user()
    for (let i = 0; i < perIp + 5; i++) await login(email, PASSWORD, ip)
  })

  it('confirm endpoints count failures per IP (tokens are not identities)', async () => {
    const ip = nextIp()
    for (let i = 0; i < perIp; i++) {
      expect((await failure(s.client().collection('users').confirmPasswordReset(`forged-${i}`, 'new-password-1', 'new-password-1', from(ip)))).status).toBe(400)
    }
    expect((await failure(s.client().collection('users').confirmVerification('forged', from(ip)))).status).toBe(429)
  })
})

describe('general rate limits (settings.rateLimits, PocketBase rule format)', () => {
  const rules = async (r: unknown[], extra: Record<string, unknown> = {}) => su.settings.update({ rateLimits: { enabled: true, rules: r, excludedIPs: [], ...extra } })
  let defaults: unknown
  beforeAll(async () => { defaults = (await su.settings.getAll()).rateLimits })
  afterAll(async () => { await su.settings.update({ rateLimits: defaults as Record<string, unknown> }) })

  it('`users:list` from settings: the 4th list within the window → 429 with Retry-After; other collections unaffected', async () => {
    await rules([{ label: 'users:list', audience: '', maxRequests: 3, duration: 60 }])
    const ip = nextIp()
    for (let i = 0; i < 3; i++) await s.client().collection('users').getList(1, 1, from(ip))
    const res = await raw(s, '/api/collections/users/records', { headers: { 'x-forwarded-for': ip } })
    expect(res.status).toBe(429)
    expect(res.json).toEqual({ status: 429, message: 'Too Many Requests.', data: {} })
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0)
    expect((await raw(s, '/api/collections/_superusers/auth-methods', { headers: { 'x-forwarded-for': ip } })).status).toBe(200)
  })

  it('`*:create` gives each collection its own budget; `@auth` rules skip guests', async () => {
    await su.collections.create({ name: 'rl_notes', type: 'base', fields: [{ name: 'title', type: 'text' }], createRule: '', listRule: '' })
    await rules([{ label: '*:create', audience: '', maxRequests: 2, duration: 60 }, { label: '/api/', audience: '@auth', maxRequests: 1, duration: 60 }])
    const ip = nextIp()
    const pb = s.client()
    for (let i = 0; i < 2; i++) await pb.collection('rl_notes').create({ title: 't' }, from(ip))
    expect((await failure(pb.collection('rl_notes').create({ title: 't' }, from(ip)))).status).toBe(429)
    // A guest is not in the `@auth` audience of `/api/`: reads stay unlimited here.
    for (let i = 0; i < 3; i++) await pb.collection('rl_notes').getList(1, 1, from(ip))
  })

  it('METHOD /path and exact /path labels; superusers and excludedIPs bypass', async () => {
    await rules([{ label: 'GET /api/health', audience: '', maxRequests: 1, duration: 60 }], { excludedIPs: ['203.0.113.0/24'] })
    const ip = nextIp()
    expect((await raw(s, '/api/health', { headers: { 'x-forwarded-for': ip } })).status).toBe(200)
    expect((await raw(s, '/api/health', { headers: { 'x-forwarded-for': ip } })).status).toBe(429)
    for (let i = 0; i < 3; i++) expect((await raw(s, '/api/health', { headers: { 'x-forwarded-for': ip }, token: su.authStore.token })).status).toBe(200)
    for (let i = 0; i < 3; i++) expect((await raw(s, '/api/health', { headers: { 'x-forwarded-for': '203.0.113.5' } })).status).toBe(200)
  })

  it('L5: X-Forwarded-For is ignored without trustedProxy.headers, honoured (right-most hop) with it', async () => {
    await rules([{ label: '/api/health', audience: '', maxRequests: 1, duration: 60 }])
    await su.settings.update({ trustedProxy: { headers: [], useLeftmostIP: false } })
    try {
      const first = await raw(s, '/api/health', { headers: { 'x-forwarded-for': nextIp() } })
      expect(first.status).toBe(200)
      // A new forged address each time does not buy a new bucket: all of them are 127.0.0.1.
      expect((await raw(s, '/api/health', { headers: { 'x-forwarded-for': nextIp() } })).status).toBe(429)
    } finally {
      await su.settings.update({ trustedProxy: { headers: ['X-Forwarded-For'], useLeftmostIP: false } })
    }
    const real = nextIp()
    expect((await raw(s, '/api/health', { headers: { 'x-forwarded-for': `6.6.6.6, ${real}` } })).status).toBe(200)
    // The spoofed left part changes, the right-most hop (what our proxy saw) does not: same bucket.
    expect((await raw(s, '/api/health', { headers: { 'x-forwarded-for': `7.7.7.7, ${real}` } })).status).toBe(429)
    expect((await raw(s, '/api/health', { headers: { 'x-forwarded-for': `6.6.6.6, ${nextIp()}` } })).status).toBe(200)
  })
})

describe('trusted proxy list (BASALT_TRUSTED_PROXIES)', () => {
  let other: TestServer
  beforeAll(async () => {
    // The proxy is 10.9.9.9; requests from 127.0.0.1 are direct clients whose headers mean nothing.
    other = await startServer({ trustedProxies: ['10.9.9.9'] })
    const root = await other.superuser()
    await root.settings.update({
      trustedProxy: { headers: ['X-Forwarded-For'], useLeftmostIP: false },
      rateLimits: { enabled: true, rules: [{ label: '/api/health', audience: '', maxRequests: 1, duration: 60 }], excludedIPs: [] },
    })
  })
  afterAll(async () => { await other?.close() })

  it('a peer outside the list cannot choose its IP through the header', async () => {
    expect((await raw(other, '/api/health', { headers: { 'x-forwarded-for': '192.0.2.1' } })).status).toBe(200)
    expect((await raw(other, '/api/health', { headers: { 'x-forwarded-for': '192.0.2.2' } })).status).toBe(429)
  })
})
