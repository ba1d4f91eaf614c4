// Cookie sessions + CSRF (Basalt extension, docs/sessions.md) over HTTP with fetch and a manual cookie jar:
// cookie attributes, CSRF/Origin enforcement, bearer isolation, rotation, reuse detection, logout(s), expiry.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type PocketBase from 'pocketbase'
import { startServer, type TestServer } from '../support/server.ts'
import { systemClock } from '../../src/core/clock.ts'
import { PASSWORD, uniqueEmail } from './helpers.ts'
import { CookieJar } from './cookie-jar.ts'

let s: TestServer
let su: PocketBase
let offset = 0 // the server shares this process's clock: tests move time instead of sleeping

type Opts = { body?: unknown; origin?: string | null; referer?: string; csrf?: boolean | string; token?: string }

/** fetch with the jar's cookies; unsafe methods get our own Origin unless told otherwise. */
async function call(jar: CookieJar, method: string, path: string, o: Opts = {}) {
  const headers: Record<string, string> = {}
  const cookie = jar.header(path.split('?')[0])
  if (cookie) headers.cookie = cookie
  if (o.body !== undefined) headers['content-type'] = 'application/json'
  const origin = o.origin === undefined ? (method === 'GET' ? null : s.url) : o.origin
  if (origin !== null) headers.origin = origin
  if (o.referer) headers.referer = o.referer
  const csrf = o.csrf === true ? (jar.get('basalt_csrf') ?? jar.get('__Host-basalt_csrf')) : o.csrf || undefined
  if (csrf) headers['x-csrf-token'] = csrf
  if (o.token) headers.authorization = o.token
  const res = await fetch(s.url + path, { method, headers, body: o.body === undefined ? undefined : JSON.stringify(o.body) })
  const set = jar.store(res)
  const text = await res.text()
  return { status: res.status, json: text ? JSON.parse(text) : undefined, set, headers: res.headers }
}

const login = (jar: CookieJar, email: string, o: Opts = {}, col = 'users') =>
  call(jar, 'POST', `/api/collections/${col}/cookie-session`, { body: { identity: email, password: PASSWORD }, ...o })
const refresh = (jar: CookieJar, o: Opts = { csrf: true }) => call(jar, 'POST', '/api/collections/users/cookie-session/refresh', o)
const me = (jar: CookieJar, id: string) => call(jar, 'GET', `/api/collections/users/records/${id}`)
const createPost = (jar: CookieJar, o: Opts = { csrf: true }) => call(jar, 'POST', '/api/collections/posts/records', { body: { title: 't' }, ...o })

async function newUser(col = 'users') {
  const email = uniqueEmail('cs')
  const r = await fetch(`${s.url}/api/collections/${col}/records`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: PASSWORD, passwordConfirm: PASSWORD }),
  })
  return { email, id: (await r.json()).id as string }
}

/** A logged-in jar. */
async function session() {
  const u = await newUser()
  const jar = new CookieJar()
  const res = await login(jar, u.email)
  expect(res.status).toBe(200)
  return { ...u, jar }
}

beforeAll(async () => {
  vi.spyOn(systemClock, 'now').mockImplementation(() => new Date(Date.now() + offset))
  s = await startServer()
  su = await s.superuser()
  await su.collections.update('users', { cookieSessions: { enabled: true, secure: false } })
  await su.collections.create({
    name: 'posts', type: 'base', fields: [{ name: 'title', type: 'text' }],
    listRule: '@request.auth.id != ""', viewRule: '@request.auth.id != ""', createRule: '@request.auth.id != ""',
  })
  await su.collections.create({ name: 'members', type: 'auth', createRule: '', viewRule: 'id = @request.auth.id', cookieSessions: { enabled: true } } as never)
})
afterAll(async () => {
  vi.restoreAllMocks()
  await s?.close()
})

describe('configuration', () => {
  it('is opt-in per collection and validated', async () => {
    expect((await call(new CookieJar(), 'POST', '/api/collections/_superusers/cookie-session', { body: { identity: 'a@b.c', password: 'x' } })).status).toBe(403)
    const c = await su.collections.update('users', { cookieSessions: { accessDuration: -5, refreshDuration: 'x', enabled: 'yes' } })
    expect((c as any).cookieSessions).toEqual({ enabled: true, secure: false, accessDuration: 900, refreshDuration: 604800, maxDuration: 2592000 })
  })
})

describe('login', () => {
  it('sets HttpOnly/SameSite cookies, __Host- and Secure when secure, and returns no token', async () => {
    const u = await newUser('members')
    const res = await login(new CookieJar(), u.email, {}, 'members')
    expect(res.status).toBe(200)
    expect(res.json.token).toBeUndefined()
    expect(res.json.record.id).toBe(u.id)
    const byName = Object.fromEntries(res.set.map((c) => [c.name, c]))
    expect(Object.keys(byName).sort()).toEqual(['__Host-basalt_csrf', '__Host-basalt_session', '__Secure-basalt_refresh'])
    expect(byName['__Host-basalt_session'].attrs).toEqual(expect.arrayContaining(['Path=/', 'HttpOnly', 'Secure', 'SameSite=Lax', 'Max-Age=900']))
    expect(byName['__Host-basalt_session'].raw).not.toMatch(/domain=/i)
    expect(byName['__Secure-basalt_refresh'].attrs).toEqual(expect.arrayContaining(['Path=/api/collections/members/cookie-session', 'HttpOnly', 'Secure', 'SameSite=Strict']))
    expect(byName['__Host-basalt_csrf'].attrs).not.toContain('HttpOnly')
    expect(byName['__Host-basalt_csrf'].value).toBe(res.json.csrfToken)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(res.headers.get('access-control-allow-credentials')).toBeNull()
  })

  it('secure collection: the __Host- cookie authenticates, the same token in a plain cookie does not', async () => {
    const u = await newUser('members')
    const jar = new CookieJar()
    await login(jar, u.email, {}, 'members')
    expect((await call(jar, 'GET', `/api/collections/members/records/${u.id}`)).status).toBe(200)
    const tossed = new CookieJar()
    tossed.set('basalt_session', jar.get('__Host-basalt_session')!)
    expect((await call(tossed, 'GET', `/api/collections/members/records/${u.id}`)).status).toBe(404)
  })

  it('refuses a missing, foreign or null Origin, and bad credentials', async () => {
    const u = await newUser()
    expect((await login(new CookieJar(), u.email, { origin: null })).status).toBe(403)
    expect((await login(new CookieJar(), u.email, { origin: 'https://evil.example' })).status).toBe(403)
    expect((await login(new CookieJar(), u.email, { origin: 'null' })).status).toBe(403)
    const jar = new CookieJar()
    expect((await call(jar, 'POST', '/api/collections/users/cookie-session', { body: { identity: u.email, password: 'wrong-pass-1' } })).status).toBe(400)
    expect(jar.cookies.size).toBe(0)
    // The app URL's origin is accepted too (deployments behind a proxy).
    expect((await login(new CookieJar(), u.email, { origin: 'http://localhost:8090' })).status).toBe(200)
  })

  it('exchanges a fresh bearer token, but not a non-refreshable one', async () => {
    const u = await newUser()
    const pb = s.client()
    const { token } = await pb.collection('users').authWithPassword(u.email, PASSWORD)
    const jar = new CookieJar()
    expect((await call(jar, 'POST', '/api/collections/users/cookie-session', { token })).status).toBe(200)
    expect((await me(jar, u.id)).status).toBe(200)
    const c = s.app.collections.get('users')
    const record = (await s.app.auth.authenticate(token))!.record
    const once = await s.app.auth.issueAuthToken(c, record, { refreshable: false })
    expect((await call(new CookieJar(), 'POST', '/api/collections/users/cookie-session', { token: once })).status).toBe(403)
  })
})

describe('CSRF', () => {
  it('cookie GET works; unsafe requests need the token AND our Origin', async () => {
    const { jar, id } = await session()
    expect((await me(jar, id)).status).toBe(200)
    expect((await me(new CookieJar(), id)).status).toBe(404)
    expect((await createPost(jar, {})).status).toBe(403)
    expect((await createPost(jar, { csrf: true, origin: 'https://evil.example' })).status).toBe(403)
    expect((await createPost(jar, { csrf: true, origin: null })).status).toBe(403)
    expect((await createPost(jar, { csrf: true, origin: 'null' })).status).toBe(403)
    expect((await createPost(jar, { csrf: true })).status).toBe(200)
    expect((await createPost(jar, { csrf: true, origin: null, referer: `${s.url}/page` })).status).toBe(200)
    expect((await call(jar, 'DELETE', `/api/collections/users/records/${id}`)).status).toBe(403)
  })

  it('a tossed csrf cookie/header pair that the server did not mint for this session is refused', async () => {
    const { jar } = await session()
    const other = await session()
    jar.set('basalt_csrf', 'forged.value')
    expect((await createPost(jar, { csrf: 'forged.value' })).status).toBe(403)
    // A valid token of ANOTHER session (the attacker's own) is bound to the wrong family.
    const theirs = other.jar.get('basalt_csrf')!
    jar.set('basalt_csrf', theirs)
    expect((await createPost(jar, { csrf: theirs })).status).toBe(403)
  })

  it('bearer requests are unaffected, even with a session cookie present', async () => {
    const { jar, email } = await session()
    const { token } = await s.client().collection('users').authWithPassword(email, PASSWORD)
    expect((await createPost(jar, { token, origin: 'https://evil.example' })).status).toBe(200)
    expect((await createPost(new CookieJar(), { token, origin: null })).status).toBe(200)
  })

  it('the session token is not a bearer token, a bearer token is not a session, and auth-refresh ignores cookies', async () => {
    const { jar, email, id } = await session()
    const access = jar.get('basalt_session')!
    expect((await call(new CookieJar(), 'POST', '/api/collections/users/auth-refresh', { token: access })).status).toBe(401)
    expect((await call(jar, 'POST', '/api/collections/users/auth-refresh', { csrf: true })).status).toBe(401)
    const { token } = await s.client().collection('users').authWithPassword(email, PASSWORD)
    const fake = new CookieJar()
    fake.set('basalt_session', token)
    expect((await me(fake, id)).status).toBe(404)
  })
})

describe('refresh, reuse, logout', () => {
  it('refresh rotates every cookie; the old refresh token reused revokes the whole family', async () => {
    const { jar, id } = await session()
    const old = jar.clone()
    expect((await refresh(jar, {})).status).toBe(403) // CSRF header required
    expect((await refresh(jar, { csrf: true, origin: 'https://evil.example' })).status).toBe(403)
    const r = await refresh(jar)
    expect(r.status).toBe(200)
    expect(r.json.record.id).toBe(id)
    for (const n of ['basalt_session', 'basalt_refresh', 'basalt_csrf']) expect(jar.get(n)).not.toBe(old.get(n))
    expect((await me(jar, id)).status).toBe(200)
    expect((await createPost(jar)).status).toBe(200)
    // Replay of the spent token (stolen copy): refused, and the legitimate chain dies with it.
    expect((await refresh(old)).status).toBe(401)
    expect((await refresh(jar)).status).toBe(401)
    expect((await me(jar, id)).status).toBe(404)
  })

  it('concurrent refreshes of one token: at most one wins', async () => {
    const { jar } = await session()
    const results = await Promise.all(Array.from({ length: 5 }, () => refresh(jar.clone())))
    expect(results.filter((r) => r.status === 200).length).toBeLessThanOrEqual(1)
  })

  it('logout revokes the family and clears the cookies', async () => {
    const { jar, id } = await session()
    const copy = jar.clone()
    expect((await call(jar, 'DELETE', '/api/collections/users/cookie-session', {})).status).toBe(403)
    const out = await call(jar, 'DELETE', '/api/collections/users/cookie-session', { csrf: true })
    expect(out.status).toBe(204)
    expect(out.set.every((c) => c.attrs.includes('Max-Age=0'))).toBe(true)
    expect(jar.cookies.size).toBe(0)
    expect((await me(copy, id)).status).toBe(404)
    expect((await refresh(copy)).status).toBe(401)
  })

  it('logout everywhere (by cookie or bearer) ends every cookie session of the record', async () => {
    const a = await session()
    const b = new CookieJar()
    await login(b, a.email)
    expect((await call(a.jar, 'DELETE', '/api/collections/users/cookie-sessions', {})).status).toBe(403)
    expect((await call(a.jar, 'DELETE', '/api/collections/users/cookie-sessions', { csrf: true })).status).toBe(204)
    for (const jar of [a.jar, b]) expect((await me(jar, a.id)).status).toBe(404)
    expect((await refresh(b)).status).toBe(401)

    const c = new CookieJar()
    await login(c, a.email)
    const { token } = await s.client().collection('users').authWithPassword(a.email, PASSWORD)
    expect((await call(new CookieJar(), 'DELETE', '/api/collections/users/cookie-sessions', { token })).status).toBe(204)
    expect((await me(c, a.id)).status).toBe(404)
    expect((await call(new CookieJar(), 'DELETE', '/api/collections/users/cookie-sessions', {})).status).toBe(401)
  })

  it('a password change ends the cookie sessions (tokenKey-bound)', async () => {
    const { jar, id, email } = await session()
    const pb = s.client()
    await pb.collection('users').authWithPassword(email, PASSWORD)
    await pb.collection('users').update(id, { oldPassword: PASSWORD, password: 'new-password-9', passwordConfirm: 'new-password-9' })
    expect((await me(jar, id)).status).toBe(404)
    expect((await refresh(jar)).status).toBe(401)
  })

  it('access expires after accessDuration, refresh renews it; maxDuration ends the login', async () => {
    const { jar, id } = await session()
    offset += 901_000
    expect((await me(jar, id)).status).toBe(404) // a browser would have dropped the cookie (Max-Age) too
    expect((await refresh(jar)).status).toBe(200)
    expect((await me(jar, id)).status).toBe(200)
    offset += 2_592_000_000
    expect((await refresh(jar)).status).toBe(401)
    offset = 0
  })

  it('MFA applies: the first factor answers 401 {mfaId} and sets no cookie', async () => {
    await su.collections.update('members', { mfa: { enabled: true, duration: 1800, rule: '' }, otp: { enabled: true } })
    const u = await newUser('members')
    const jar = new CookieJar()
    const res = await login(jar, u.email, {}, 'members')
    expect(res.status).toBe(401)
    expect(res.json.mfaId).toEqual(expect.any(String))
    expect(jar.cookies.size).toBe(0)
    await su.collections.update('members', { mfa: { enabled: false } })
  })
})
