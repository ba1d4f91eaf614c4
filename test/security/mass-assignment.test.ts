// SECURITY.md C1/C3/C5/C7/C9/C11 and I5: system fields, hidden fields, prototype pollution, modifiers, type confusion.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { allSecrets, dbRows, expectClientError, expectNoLeak, raw, setupWorld, type World } from './fixture.ts'

let w: World
let secrets: string[]
const posts = '/api/collections/posts/records'
const users = '/api/collections/users/records'

type Row = Record<string, any>
const row = async (table: string, id: string): Promise<Row | undefined> => (await dbRows<Row>(w, table)).find((r) => r.id === id)

beforeAll(async () => {
  w = await setupWorld({
    postFields: [
      { name: 'created', type: 'autodate', onCreate: true, onUpdate: false },
      { name: 'updated', type: 'autodate', onCreate: true, onUpdate: true },
    ],
  })
  secrets = await allSecrets(w)
})
afterAll(async () => {
  // Whatever was sent, nothing may have polluted Object.prototype in this (the server's) process.
  expect(({} as Record<string, unknown>).isAdmin).toBeUndefined()
  expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  await w?.close()
})

describe('C1 sign-up cannot set system fields', () => {
  it('verified:true on guest sign-up → 400 with a verified error, nothing created', async () => {
    const before = (await dbRows(w, 'users')).length
    const email = 'mallory-verified@example.com'
    const res = await raw(w, 'POST', users, { body: { email, password: 'password123', passwordConfirm: 'password123', verified: true } })
    expectClientError(res, 400, secrets)
    expect(res.json.data).toHaveProperty('verified')
    expect((await dbRows(w, 'users')).length).toBe(before)
  })
  it('tokenKey / id collision / created on sign-up are not taken from the body', async () => {
    const email = 'mallory-tk@example.com'
    const res = await raw(w, 'POST', users, {
      body: { email, password: 'password123', passwordConfirm: 'password123', tokenKey: 'k'.repeat(50), created: '2000-01-01 00:00:00.000Z', updated: '2000-01-01 00:00:00.000Z', collectionId: 'pbc_3142635823', collectionName: '_superusers' },
    })
    expect(res.status, res.text).toBe(200)
    expect(res.json.collectionName).toBe('users')
    expect(res.json).not.toHaveProperty('tokenKey')
    const r = await row('users', res.json.id)
    expect(r!.tokenKey).not.toBe('k'.repeat(50))
    expect(r!.created).not.toContain('2000-01-01')
    expect(r!.verified).toBeFalsy()
    expect((await dbRows(w, '_superusers')).some((s) => s.email === email)).toBe(false)
  })
  it('an id that already exists (in users or another auth collection) → 400, never a 500 or takeover', async () => {
    for (const id of [w.b.id, (await dbRows(w, '_superusers'))[0].id as string]) {
      const res = await raw(w, 'POST', users, { body: { id, email: `x${id}@example.com`, password: 'password123', passwordConfirm: 'password123' } })
      expectClientError(res, 400, secrets)
    }
    expect((await row('users', w.b.id))!.email).toBe(w.b.email)
  })
})

describe('C3 owner PATCH of own auth record', () => {
  it('tokenKey, password hash without oldPassword, verified, email → rejected or ignored; token keeps working', async () => {
    const before = await row('users', w.a.id)
    const attempts: Record<string, unknown>[] = [
      { tokenKey: 'x'.repeat(50) },
      { password: '$argon2id$v=19$m=19456,t=2,p=1$AAAA$BBBB', passwordConfirm: '$argon2id$v=19$m=19456,t=2,p=1$AAAA$BBBB' },
      { password: 'newpassword123', passwordConfirm: 'newpassword123' },
      { password: 'newpassword123', passwordConfirm: 'newpassword123', oldPassword: 'wrong-password' },
      { verified: true },
      { email: 'takeover@example.com' },
      { id: 'aaaaaaaaaaaaaaa' },
    ]
    for (const body of attempts) {
      const res = await raw(w, 'PATCH', `${users}/${w.a.id}`, { token: w.a.token, body })
      if (res.status !== 200) expectClientError(res, 400, secrets)
      expectNoLeak(res, secrets)
      const now = await row('users', w.a.id)
      expect(now!.tokenKey, JSON.stringify(body)).toBe(before!.tokenKey)
      expect(now!.password, JSON.stringify(body)).toBe(before!.password)
      expect(now!.email).toBe(before!.email)
      expect(now!.verified).toBe(before!.verified)
    }
    expect((await raw(w, 'POST', '/api/collections/users/auth-refresh', { token: w.a.token })).status).toBe(200)
  })
  it('created/updated on update are not client-controlled', async () => {
    const res = await raw(w, 'PATCH', `${users}/${w.a.id}`, { token: w.a.token, body: { name: 'alice2', created: '2000-01-01 00:00:00.000Z', updated: '2000-01-01 00:00:00.000Z' } })
    expect(res.status, res.text).toBe(200)
    const r = await row('users', w.a.id)
    expect(r!.created).not.toContain('2000-01-01')
    expect(r!.updated).not.toContain('2000-01-01')
  })
})

describe('C5/C7 base records: id, autodates, collectionId and hidden fields', () => {
  it('PATCH {"id":"other"} → 400, id unchanged, no duplicate row', async () => {
    const before = (await dbRows(w, 'posts')).length
    for (const id of ['otherid12345678', w.postB1, '']) {
      const res = await raw(w, 'PATCH', `${posts}/${w.postA1}`, { token: w.a.token, body: { id, title: 'renamed?' } })
      if (id === '') expect([200, 400]).toContain(res.status)
      else expectClientError(res, 400, secrets)
    }
    expect((await dbRows(w, 'posts')).length).toBe(before)
    expect(await row('posts', w.postA1)).toBeDefined()
    expect((await row('posts', w.postB1))!.owner).toBe(w.b.id)
  })
  it('created/updated/collectionId/collectionName in a post body are ignored', async () => {
    const res = await raw(w, 'POST', posts, {
      token: w.a.token,
      body: { title: 'dated', owner: w.a.id, created: '2000-01-01 00:00:00.000Z', updated: '2000-01-01 00:00:00.000Z', collectionId: '_pb_users_auth_', collectionName: 'users' },
    })
    expect(res.status, res.text).toBe(200)
    expect(res.json.collectionName).toBe('posts')
    expect(res.json.collectionId).toBe(w.posts.id)
    const r = await row('posts', res.json.id)
    expect(r!.created).not.toContain('2000')
    expect(r!.updated).not.toContain('2000')
    expect(await row('users', res.json.id)).toBeUndefined()
    const upd = await raw(w, 'PATCH', `${posts}/${res.json.id}`, { token: w.a.token, body: { created: '1999-01-01 00:00:00.000Z' } })
    expect(upd.status).toBe(200)
    expect((await row('posts', res.json.id))!.created).toBe(r!.created)
  })
  it('hidden `secret` from a regular user is neither stored nor returned (create and update)', async () => {
    const res = await raw(w, 'POST', posts, { token: w.a.token, body: { title: 'sneaky', owner: w.a.id, secret: 'INJECTED-SECRET' } })
    expect(res.status, res.text).toBe(200)
    expect(res.json).not.toHaveProperty('secret')
    expect((await row('posts', res.json.id))!.secret || '').toBe('')
    const original = (await row('posts', w.postA2))!.secret
    const upd = await raw(w, 'PATCH', `${posts}/${w.postA2}`, { token: w.a.token, body: { secret: 'INJECTED-SECRET', 'secret+': 'x', title: 'still mine' } })
    expect(upd.status, upd.text).toBe(200)
    expect(upd.text).not.toContain('INJECTED')
    expect((await row('posts', w.postA2))!.secret).toBe(original)
    // Multipart the same.
    const fd = new FormData()
    fd.set('title', 'mp'); fd.set('owner', w.a.id); fd.set('secret', 'INJECTED-SECRET')
    const mp = await raw(w, 'POST', posts, { token: w.a.token, rawBody: fd })
    expect(mp.status, mp.text).toBe(200)
    expect((await row('posts', mp.json.id))!.secret || '').toBe('')
  })
})

describe('C9 prototype pollution payloads are inert', () => {
  const jsonBodies = [
    '{"__proto__":{"isAdmin":true},"title":"p1","owner":"OWNER"}',
    '{"constructor":{"prototype":{"isAdmin":true}},"title":"p2","owner":"OWNER"}',
    '{"title":"p3","owner":"OWNER","meta":{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}},"a":{"__proto__":{"polluted":1}}}}',
    '{"title":"p4","owner":"OWNER","meta":[{"__proto__":{"polluted":1}}]}',
    '{"title":"p5","owner":"OWNER","meta":"{\\"__proto__\\":{\\"polluted\\":1}}"}',
    '{"title":"p6","owner":"OWNER","__proto__":{"owner":"OTHER"}}',
  ]
  it('JSON bodies (top level and json field)', async () => {
    for (const template of jsonBodies) {
      const rawBody = template.replaceAll('OWNER', w.a.id).replaceAll('OTHER', w.b.id)
      const res = await raw(w, 'POST', posts, { token: w.a.token, rawBody, headers: { 'content-type': 'application/json' } })
      expect([200, 400], res.text).toContain(res.status)
      expectNoLeak(res, secrets)
      if (res.status === 200) {
        expect(res.json.owner).toBe(w.a.id)
        const r = await row('posts', res.json.id)
        expect(r!.owner).toBe(w.a.id)
        expect(Object.getPrototypeOf(res.json)).toBe(Object.prototype)
      }
      expect(({} as Record<string, unknown>).isAdmin).toBeUndefined()
      expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    }
  })
  it('multipart @jsonPayload and form keys', async () => {
    const fd = new FormData()
    fd.set('title', 'mp-proto')
    fd.set('__proto__', 'x')
    fd.set('constructor', 'y')
    fd.append('@jsonPayload', `{"owner":"${w.a.id}","__proto__":{"isAdmin":true},"constructor":{"prototype":{"isAdmin":true}}}`)
    fd.append('@jsonPayload', '{"meta":{"__proto__":{"polluted":1}}}')
    const res = await raw(w, 'POST', posts, { token: w.a.token, rawBody: fd })
    expect([200, 400], res.text).toContain(res.status)
    expectNoLeak(res, secrets)
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined()
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })
  it('urlencoded, query string and realtime bodies', async () => {
    await raw(w, 'POST', posts, { token: w.a.token, rawBody: `title=u&owner=${w.a.id}&__proto__[isAdmin]=1&constructor[prototype][isAdmin]=1`, headers: { 'content-type': 'application/x-www-form-urlencoded' } })
    await raw(w, 'GET', `${posts}?__proto__[isAdmin]=1&constructor[prototype][polluted]=1&__proto__=x`, { token: w.a.token })
    await raw(w, 'POST', '/api/realtime', { rawBody: '{"__proto__":{"isAdmin":true},"clientId":"x","subscriptions":[]}', headers: { 'content-type': 'application/json' } })
    await raw(w, 'POST', '/api/collections/users/auth-with-password', { rawBody: '{"__proto__":{"isAdmin":true},"identity":"a@b.c","password":"x"}', headers: { 'content-type': 'application/json' } })
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined()
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })
  it('rules behave unchanged afterwards', async () => {
    const b = await raw(w, 'GET', posts, { token: w.b.token })
    expect(b.status).toBe(200)
    for (const it of b.json.items) expect(it.owner).toBe(w.b.id)
    expect((await raw(w, 'GET', `${posts}/${w.postA1}`, { token: w.b.token })).status).toBe(404)
    expect((await raw(w, 'GET', posts)).json.totalItems).toBe(0)
  })
})

describe('C11 hostile modifiers', () => {
  it('number overflow never stores Infinity/NaN', async () => {
    for (const body of [{ 'balance+': 1e308 }, { 'balance+': 1e308 }, { 'balance-': -1e308 }, { balance: 1e309 }, { balance: 'Infinity' }, { balance: 'NaN' }, { 'balance+': '1e400' }]) {
      const res = await raw(w, 'PATCH', `${posts}/${w.postA2}`, { token: w.a.token, body })
      if (res.status !== 200) expectClientError(res, 400, secrets)
      const v = (await row('posts', w.postA2))!.balance
      expect(Number.isFinite(Number(v)), `${JSON.stringify(body)} → ${v}`).toBe(true)
      if (res.status === 200) expect(Number.isFinite(res.json.balance)).toBe(true)
    }
  })
  it('string, object and array operands → 400 or inert', async () => {
    for (const body of [{ 'balance+': '1; DROP TABLE posts' }, { 'balance+': { $gt: '' } }, { 'balance-': [1, 2] }, { 'owner+': { $ne: null } }, { 'doc-': ['../../x', '/etc/passwd'] }, { 'doc+': '../../evil' }, { '+doc': ['..'] }, { 'title+': 'x' }]) {
      const res = await raw(w, 'PATCH', `${posts}/${w.postA2}`, { token: w.a.token, body })
      if (res.status !== 200) expectClientError(res, 400, secrets)
      const r = (await row('posts', w.postA2))!
      expect(Number.isFinite(Number(r.balance))).toBe(true)
      expect(r.owner).toBe(w.a.id)
    }
    expect((await dbRows(w, 'posts')).length).toBeGreaterThan(0)
  })
})

describe('I5 type confusion: objects are never operators', () => {
  it('{"title":{"$ne":null}} and friends → 400 or a plain stored string', async () => {
    for (const extra of [{ title: { $ne: null } }, { title: ['a', 'b'] }, { title: { toString: 'x' } }, { balance: { $gt: 0 } }, { balance: [5] }, { balance: '12' }, { meta: { $where: 'sleep(1000)' } }]) {
      const res = await raw(w, 'POST', posts, { token: w.a.token, body: { owner: w.a.id, ...extra } })
      if (res.status !== 200) { expectClientError(res, 400, secrets); continue }
      const r = (await row('posts', res.json.id))!
      expect(typeof r.title).toBe('string')
      expect(r.title).not.toContain('[object')
      expect(typeof res.json.balance).toBe('number')
    }
  })
  it('{"owner":{"id":…}} / owner arrays cannot point at someone else', async () => {
    for (const owner of [{ id: w.a.id }, { $ne: null }, [w.b.id, w.a.id], [w.a.id, w.b.id], w.b.id]) {
      const res = await raw(w, 'POST', posts, { token: w.a.token, body: { title: 'own?', owner } })
      if (res.status === 200) expect(res.json.owner).toBe(w.a.id)
      else expectClientError(res, 400, secrets)
    }
    const others = (await dbRows<Row>(w, 'posts')).filter((p) => p.owner === w.b.id)
    expect(others.map((p) => p.id)).toEqual([w.postB1])
  })
  it('{"verified":"true"} / {"emailVisibility":{}} on own user', async () => {
    const res = await raw(w, 'PATCH', `${users}/${w.a.id}`, { token: w.a.token, body: { verified: 'true' } })
    expectClientError(res, 400, secrets)
    expect((await row('users', w.a.id))!.verified).toBeFalsy()
    const ev = await raw(w, 'PATCH', `${users}/${w.a.id}`, { token: w.a.token, body: { emailVisibility: { $ne: false } } })
    if (ev.status !== 200) expectClientError(ev, 400, secrets)
  })
  it('non-object JSON bodies → 400', async () => {
    for (const rawBody of ['[]', '"str"', '1', 'null', 'true', '[{"title":"x"}]']) {
      const res = await raw(w, 'POST', posts, { token: w.a.token, rawBody, headers: { 'content-type': 'application/json' } })
      if (rawBody === 'null') expect([200, 400]).toContain(res.status)
      else expectClientError(res, 400, secrets)
    }
  })
})
