// Password auth: sign-up, login, tokens, refresh, auth-methods, email visibility, password changes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type PocketBase from 'pocketbase'
import { startServer, SUPERUSER, type TestServer } from '../support/server.ts'
import { PASSWORD, codeOf, failure, jwtPayload, raw, signUp, uniqueEmail } from './helpers.ts'

let s: TestServer
let su: PocketBase

beforeAll(async () => {
  s = await startServer()
  su = await s.superuser()
})
afterAll(async () => { await s?.close() })

describe('sign-up and login', () => {
  it('a guest signs up through users; the response hides password, tokenKey and (not visible) email', async () => {
    const email = uniqueEmail()
    const rec = await s.client().collection('users').create({ email, password: PASSWORD, passwordConfirm: PASSWORD, name: 'Ann' })
    expect(rec).toMatchObject({ collectionId: '_pb_users_auth_', collectionName: 'users', name: 'Ann', verified: false, emailVisibility: false })
    for (const k of ['password', 'passwordConfirm', 'tokenKey', 'email']) expect(rec).not.toHaveProperty(k)
  })

  it.each([
    ['missing password', { password: undefined, passwordConfirm: undefined }, 'password'],
    ['short password', { password: 'short', passwordConfirm: 'short' }, 'password'],
    ['confirm mismatch', { passwordConfirm: 'something-else' }, 'passwordConfirm'],
    ['bad email', { email: 'nope' }, 'email'],
  ])('sign-up with %s → 400 on %s', async (_label, override, field) => {
    const f = await failure(s.client().collection('users').create({ email: uniqueEmail(), password: PASSWORD, passwordConfirm: PASSWORD, ...override }))
    expect(f.status).toBe(400)
    expect(f.body.data?.[field]?.code).toEqual(expect.any(String))
  })

  it('authWithPassword stores token + record in the SDK auth store', async () => {
    const { email } = await signUp(s)
    const pb = s.client()
    const res = await pb.collection('users').authWithPassword(email, PASSWORD)
    expect(pb.authStore.token).toBe(res.token)
    expect(pb.authStore.isValid).toBe(true)
    expect(pb.authStore.isSuperuser).toBe(false)
    expect(pb.authStore.record?.id).toBe(res.record.id)
    expect(res.record.email).toBe(email)
    for (const k of ['password', 'tokenKey']) expect(res.record).not.toHaveProperty(k)
  })

  it('the JWT payload is decodable with plain atob and has the PocketBase claims', async () => {
    const { token, record } = await signUp(s)
    const payload = jwtPayload(token)
    expect(payload).toMatchObject({ type: 'auth', id: record.id, collectionId: '_pb_users_auth_', refreshable: true })
    expect(payload.exp).toBeGreaterThan(Date.now() / 1000)
    expect(JSON.parse(atob(token.split('.')[0]))).toMatchObject({ alg: 'HS256', typ: 'JWT' })
  })

  it('superuser login yields a superuser token', async () => {
    const pb = s.client()
    await pb.collection('_superusers').authWithPassword(SUPERUSER.email, SUPERUSER.password)
    expect(pb.authStore.isSuperuser).toBe(true)
    expect(jwtPayload(pb.authStore.token).collectionId).toBe('pbc_3142635823')
  })

  it('the email identity is case-insensitive', async () => {
    const { email } = await signUp(s)
    const res = await s.client().collection('users').authWithPassword(email.toUpperCase(), PASSWORD)
    expect(res.record.email).toBe(email)
  })

  it('wrong password and unknown email give the same 400 body', async () => {
    const { email } = await signUp(s)
    const wrong = await failure(s.client().collection('users').authWithPassword(email, 'wrong-password'))
    const unknown = await failure(s.client().collection('users').authWithPassword('nobody@example.com', 'wrong-password'))
    expect(wrong.status).toBe(400)
    expect(wrong).toEqual(unknown)
    expect(wrong.body).toEqual({ status: 400, message: 'Failed to authenticate.', data: {} })
  })

  it('a users login is not valid for _superusers and vice versa', async () => {
    const { email } = await signUp(s)
    expect((await failure(s.client().collection('_superusers').authWithPassword(email, PASSWORD))).status).toBe(400)
    expect((await failure(s.client().collection('users').authWithPassword(SUPERUSER.email, SUPERUSER.password))).status).toBe(400)
  })
})

describe('tokens', () => {
  it('authRefresh returns a new valid token for the same record', async () => {
    const { pb, token, record } = await signUp(s)
    await new Promise((r) => setTimeout(r, 1100)) // exp has second resolution
    const res = await pb.collection('users').authRefresh()
    expect(res.token).not.toBe(token)
    expect(res.record.id).toBe(record.id)
    expect(pb.authStore.token).toBe(res.token)
    expect((await pb.collection('users').getOne(record.id)).id).toBe(record.id)
  })

  it('authRefresh without a token → 401; with another collection\'s token → 403', async () => {
    expect((await failure(s.client().collection('users').authRefresh())).status).toBe(401)
    expect((await failure(su.collection('users').authRefresh())).status).toBe(403)
  })

  it('an invalid token makes the request a guest, not an error', async () => {
    const { record, token } = await signUp(s)
    const pb = s.client()
    pb.authStore.save(token.slice(0, -3) + 'abc', null)
    expect((await pb.collection('users').getList()).items).toEqual([])
    expect((await failure(pb.collection('users').getOne(record.id))).status).toBe(404)
  })

  it('accepts the token with and without a Bearer prefix', async () => {
    const { record, token } = await signUp(s)
    for (const auth of [token, `Bearer ${token}`]) {
      const res = await raw(s, `/api/collections/users/records/${record.id}`, { headers: { Authorization: auth } })
      expect(res.status).toBe(200)
    }
  })
})

describe('auth-methods', () => {
  it('lists password auth and disabled oauth2/mfa/otp', async () => {
    const methods = await s.client().collection('users').listAuthMethods()
    expect(methods).toMatchObject({
      password: { enabled: true, identityFields: ['email'] },
      oauth2: { enabled: false, providers: [] },
      mfa: { enabled: false, duration: 0 },
      otp: { enabled: false, duration: 0 },
    })
    expect((await failure(s.client().collection('nope').listAuthMethods())).status).toBe(404)
  })
})

describe('email visibility', () => {
  let A: Awaited<ReturnType<typeof signUp>>, B: Awaited<ReturnType<typeof signUp>>, C: Awaited<ReturnType<typeof signUp>>
  beforeAll(async () => {
    // let users see each other so that only emailVisibility decides
    await su.collections.update('users', { listRule: '@request.auth.id != ""', viewRule: '@request.auth.id != ""' })
    A = await signUp(s)
    B = await signUp(s, { data: { emailVisibility: true } })
    C = await signUp(s)
  })
  afterAll(async () => { await su.collections.update('users', { listRule: 'id = @request.auth.id', viewRule: 'id = @request.auth.id' }) })

  it.each([
    ['own record', () => A.pb, () => A, true],
    ['other, emailVisibility on', () => A.pb, () => B, true],
    ['other, emailVisibility off', () => A.pb, () => C, false],
    ['superuser', () => su, () => C, true],
  ])('%s → email shown: %s', async (_label, viewer, target, shown) => {
    const rec = await viewer().collection('users').getOne(target().record.id)
    if (shown) expect(rec.email).toBe(target().email)
    else expect(rec).not.toHaveProperty('email')
    const listed = (await viewer().collection('users').getFullList()).find((r) => r.id === target().record.id)!
    expect('email' in listed).toBe(shown)
  })

  it('a hidden email cannot be probed through a filter', async () => {
    expect(await A.pb.collection('users').getFullList({ filter: `email = "${C.email}"` })).toEqual([])
    expect((await A.pb.collection('users').getFullList({ filter: `email = "${B.email}"` })).map((r) => r.id)).toEqual([B.record.id])
  })
})

describe('account changes', () => {
  it('a password change needs the right oldPassword, then every older token stops working', async () => {
    const { pb, record, token, email } = await signUp(s)
    const other = await s.client().collection('users').authWithPassword(email, PASSWORD) // a second session
    const next = 'new-password-456'
    let f = await failure(pb.collection('users').update(record.id, { password: next, passwordConfirm: next }))
    expect(codeOf(f, 'oldPassword')).toBe('validation_invalid_old_password')
    f = await failure(pb.collection('users').update(record.id, { password: next, passwordConfirm: next, oldPassword: 'not-it-at-all' }))
    expect(codeOf(f, 'oldPassword')).toBe('validation_invalid_old_password')
    await pb.collection('users').update(record.id, { password: next, passwordConfirm: next, oldPassword: PASSWORD })

    for (const old of [token, other.token]) {
      const stale = s.client()
      stale.authStore.save(old, null)
      expect((await failure(stale.collection('users').getOne(record.id))).status).toBe(404)
      expect((await failure(stale.collection('users').authRefresh())).status).toBe(401)
    }
    expect((await failure(s.client().collection('users').authWithPassword(email, PASSWORD))).status).toBe(400)
    const fresh = await s.client().collection('users').authWithPassword(email, next)
    expect(fresh.record.id).toBe(record.id)
  })

  it('a superuser changes a password without oldPassword, revoking the user\'s tokens', async () => {
    const { pb, record, email } = await signUp(s)
    await su.collection('users').update(record.id, { password: 'reset-by-admin', passwordConfirm: 'reset-by-admin' })
    expect((await failure(pb.collection('users').getOne(record.id))).status).toBe(404)
    expect((await s.client().collection('users').authWithPassword(email, 'reset-by-admin')).record.id).toBe(record.id)
  })

  it('a user cannot set verified, on update or on sign-up', async () => {
    const { pb, record } = await signUp(s)
    const f = await failure(pb.collection('users').update(record.id, { verified: true }))
    expect(f.status).toBe(400)
    expect(f.body.data).toHaveProperty('verified')
    expect((await su.collection('users').getOne(record.id)).verified).toBe(false)

    const email = uniqueEmail()
    await s.client().collection('users').create({ email, password: PASSWORD, passwordConfirm: PASSWORD, verified: true }).catch(() => null)
    const created = await su.collection('users').getFullList({ filter: su.filter('email = {:email}', { email }) })
    expect(created.every((u) => u.verified === false)).toBe(true)

    expect((await su.collection('users').update(record.id, { verified: true })).verified).toBe(true)
  })

  it('a user cannot change the email through update', async () => {
    const { pb, record, email } = await signUp(s)
    const f = await failure(pb.collection('users').update(record.id, { email: uniqueEmail() }))
    expect(f.status).toBe(400)
    expect(f.body.data).toHaveProperty('email')
    expect((await su.collection('users').getOne(record.id)).email).toBe(email)
  })

  it('the SDK clears its auth store when the logged-in record is deleted', async () => {
    const { pb, record } = await signUp(s)
    await pb.collection('users').delete(record.id)
    expect(pb.authStore.isValid).toBe(false)
    expect((await failure(su.collection('users').getOne(record.id))).status).toBe(404)
  })
})

describe('manageRule and authRule', () => {
  beforeAll(async () => {
    await su.collections.create({
      name: 'staff', type: 'auth', fields: [{ name: 'role', type: 'text' }],
      createRule: '', listRule: '', viewRule: '',
      updateRule: 'id = @request.auth.id || @request.auth.role = "admin"',
      manageRule: '@request.auth.role = "admin"',
      authRule: 'verified = true || role = "admin"',
    })
    await su.collection('staff').create({ email: 'boss@example.com', password: PASSWORD, passwordConfirm: PASSWORD, role: 'admin' })
  })

  it('authRule: an unverified member cannot log in (403) until verified', async () => {
    await s.client().collection('staff').create({ email: 'new@example.com', password: PASSWORD, passwordConfirm: PASSWORD })
    const f = await failure(s.client().collection('staff').authWithPassword('new@example.com', PASSWORD))
    expect(f.status).toBe(403)
  })

  it('a manager sees emails and changes password/verified of others without oldPassword', async () => {
    const m = await s.client().collection('staff').create({ email: 'worker@example.com', password: PASSWORD, passwordConfirm: PASSWORD })
    const boss = s.client()
    await boss.collection('staff').authWithPassword('boss@example.com', PASSWORD)
    expect((await boss.collection('staff').getOne(m.id)).email).toBe('worker@example.com')
    const upd = await boss.collection('staff').update(m.id, { verified: true, password: 'managed-pass-1', passwordConfirm: 'managed-pass-1' })
    expect(upd.verified).toBe(true)
    const login = await s.client().collection('staff').authWithPassword('worker@example.com', 'managed-pass-1')
    expect(login.record.id).toBe(m.id)
    // a non-manager member gets neither
    const worker = s.client()
    await worker.collection('staff').authWithPassword('worker@example.com', 'managed-pass-1')
    const bossRecord = (await worker.collection('staff').getFullList({ filter: 'role = "admin"' }))[0]
    expect(bossRecord).not.toHaveProperty('email')
  })
})
