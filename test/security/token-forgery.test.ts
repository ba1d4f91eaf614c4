// SECURITY.md E1–E13 (+ B15, E7): forged, mangled, expired or misdirected tokens are treated as guests.
import { CompactSign } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { allSecrets, dbRows, expectClientError, expectNoLeak, raw, setupWorld, type World } from './fixture.ts'

let w: World
let secrets: string[]
const enc = new TextEncoder()
const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url')
type Row = Record<string, any>

const usersSecret = (kind: 'authToken' | 'fileToken' | 'verificationToken' | 'passwordResetToken' = 'authToken') => w.s.app.collections.get('users').auth![kind].secret
const tokenKeyOf = async (id: string, table = 'users') => (await dbRows<Row>(w, table)).find((r) => r.id === id)!.tokenKey as string
const now = () => Math.floor(Date.now() / 1000)
const claimsFor = (id: string, extra: Record<string, unknown> = {}) => ({ collectionId: '_pb_users_auth_', exp: now() + 3600, id, refreshable: true, type: 'auth', ...extra })

async function sign(payload: unknown, key: string, header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' }): Promise<string> {
  return new CompactSign(enc.encode(JSON.stringify(payload))).setProtectedHeader(header as { alg: string }).sign(enc.encode(key))
}

/** The token must behave exactly like no token: 401 on auth-refresh, guest view of posts. */
async function expectGuest(token: string, label: string) {
  const refresh = await raw(w, 'POST', '/api/collections/users/auth-refresh', { token })
  if (refresh.status === 431 || refresh.status === 400) expectNoLeak(refresh, secrets)
  else expectClientError(refresh, 401, secrets)
  expect(refresh.text, label).not.toContain('"token"')
  const list = await raw(w, 'GET', '/api/collections/posts/records', { token })
  if (list.status === 200) {
    expect(list.json.totalItems, label).toBe(0)
  } else {
    expect([400, 401, 431], `${label}: ${list.status}`).toContain(list.status)
    expectNoLeak(list, secrets)
  }
  const view = await raw(w, 'GET', `/api/collections/posts/records/${w.postA1}`, { token })
  expect([404, 400, 401, 431], label).toContain(view.status)
  const upd = await raw(w, 'PATCH', `/api/collections/users/records/${w.a.id}`, { token, body: { name: 'forged' } })
  expect([404, 400, 401, 431], label).toContain(upd.status)
}

beforeAll(async () => {
  w = await setupWorld()
  secrets = await allSecrets(w)
})
afterAll(async () => {
  if (w) expect((await dbRows<Row>(w, 'users')).find((u) => u.id === w.a.id)!.name).not.toBe('forged')
  await w?.close()
})

describe('control', () => {
  it('a correctly signed token works (and the forging helper is right)', async () => {
    const good = await sign(claimsFor(w.a.id), (await tokenKeyOf(w.a.id)) + usersSecret())
    const res = await raw(w, 'POST', '/api/collections/users/auth-refresh', { token: good })
    expect(res.status, res.text).toBe(200)
    expect(res.json.record.id).toBe(w.a.id)
    expect((await raw(w, 'GET', '/api/collections/posts/records', { token: good })).json.totalItems).toBe(2)
  })
})

describe('E1/E3 algorithm confusion', () => {
  it('alg none / None / NONE / nOnE with an empty or garbage signature', async () => {
    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      const unsigned = `${b64({ alg, typ: 'JWT' })}.${b64(claimsFor(w.a.id))}`
      for (const token of [`${unsigned}.`, `${unsigned}.AAAA`, unsigned]) await expectGuest(token, `alg ${alg}`)
    }
  })
  it('HS512 / HS384 with the right key, and RS256/ES256 headers', async () => {
    const key = (await tokenKeyOf(w.a.id)) + usersSecret()
    await expectGuest(await sign(claimsFor(w.a.id), key, { alg: 'HS512', typ: 'JWT' }), 'HS512')
    await expectGuest(await sign(claimsFor(w.a.id), key, { alg: 'HS384', typ: 'JWT' }), 'HS384')
    const hs = await sign(claimsFor(w.a.id), key)
    const [, p, sig] = hs.split('.')
    for (const alg of ['RS256', 'ES256', 'PS256', 'EdDSA']) await expectGuest(`${b64({ alg, typ: 'JWT' })}.${p}.${sig}`, alg)
  })
  it('embedded jwk / jku / kid keys are ignored', async () => {
    const attackerKey = 'attacker-chosen-key-0123456789abcdef'
    for (const extra of [
      { jwk: { kty: 'oct', k: Buffer.from(attackerKey).toString('base64url') } },
      { jku: 'http://127.0.0.1:1/jwks.json' },
      { kid: '../../../../dev/null' },
    ]) await expectGuest(await sign(claimsFor(w.a.id), attackerKey, { alg: 'HS256', typ: 'JWT', ...extra }), JSON.stringify(extra))
  })
  it('HS256 signed only with the collection secret or only with the tokenKey', async () => {
    await expectGuest(await sign(claimsFor(w.a.id), usersSecret()), 'secret only')
    await expectGuest(await sign(claimsFor(w.a.id), await tokenKeyOf(w.a.id)), 'tokenKey only')
    await expectGuest(await sign(claimsFor(w.a.id), ''.padEnd(32, 'x')), 'random key')
  })
})

describe('E5 tampered claims', () => {
  it('payload id swapped to B, signature of A kept', async () => {
    const [h, , s] = w.a.token.split('.')
    await expectGuest(`${h}.${b64(claimsFor(w.b.id))}.${s}`, 'swapped id')
    const payload = JSON.parse(Buffer.from(w.a.token.split('.')[1], 'base64').toString())
    await expectGuest(`${h}.${b64({ ...payload, exp: payload.exp + 100000 })}.${s}`, 'extended exp')
    await expectGuest(`${h}.${b64({ ...payload, collectionId: 'pbc_3142635823' })}.${s}`, 'collection swapped')
  })
  it('expired, exp as string, missing exp, wrong type', async () => {
    const key = (await tokenKeyOf(w.a.id)) + usersSecret()
    await expectGuest(await sign(claimsFor(w.a.id, { exp: now() - 5 }), key), 'expired')
    await expectGuest(await sign(claimsFor(w.a.id, { exp: String(now() + 3600) }), key), 'exp string')
    await expectGuest(await sign({ collectionId: '_pb_users_auth_', id: w.a.id, type: 'auth' }, key), 'no exp')
    await expectGuest(await sign(claimsFor(w.a.id, { exp: 1e400 }), key), 'exp infinite')
    for (const type of ['file', 'verification', 'passwordReset', 'emailChange', 'admin', 'AUTH']) {
      await expectGuest(await sign(claimsFor(w.a.id, { type }), key), `type ${type}`)
    }
    // A genuine file token (file secret) is not an auth token.
    await expectGuest(await sign(claimsFor(w.a.id, { type: 'file' }), (await tokenKeyOf(w.a.id)) + usersSecret('fileToken')), 'real file token')
    await expectGuest(await sign(claimsFor(w.a.id, { type: 'verification', email: w.a.email }), (await tokenKeyOf(w.a.id)) + usersSecret('verificationToken')), 'real verification token')
  })
})

describe('B15 token of another auth collection with the same id', () => {
  it('ids are unique across auth collections, and a staff token never acts as user A', async () => {
    const staff = await w.su.collections.create({ name: 'staff', type: 'auth', fields: [], listRule: null })
    const clash = await raw(w, 'POST', '/api/collections/staff/records', { token: w.suToken, body: { id: w.a.id, email: 'staff@example.com', password: 'password123', passwordConfirm: 'password123' } })
    expectClientError(clash, 400, secrets)
    expect((await dbRows(w, 'staff')).length).toBe(0)
    // A forged staff token naming A's id: there is no such staff record → guest.
    const staffSecret = w.s.app.collections.get('staff').auth!.authToken.secret
    const t = await sign({ ...claimsFor(w.a.id), collectionId: staff.id }, (await tokenKeyOf(w.a.id)) + staffSecret)
    await expectGuest(t, 'staff token with A id')
    // Superuser collection id with A's id and key material.
    const suSecret = w.s.app.collections.get('_superusers').auth!.authToken.secret
    await expectGuest(await sign({ ...claimsFor(w.a.id), collectionId: 'pbc_3142635823' }, (await tokenKeyOf(w.a.id)) + suSecret), 'superuser collection')
    // A real user token refreshed against another auth collection → 403/401, never that collection's session.
    const cross = await raw(w, 'POST', '/api/collections/staff/auth-refresh', { token: w.a.token })
    expectClientError(cross, [401, 403], secrets)
    const crossSu = await raw(w, 'POST', '/api/collections/_superusers/auth-refresh', { token: w.a.token })
    expectClientError(crossSu, [401, 403], secrets)
  })
})

describe('E13 malformed Authorization headers', () => {
  it('huge, segmented, binary and prefixed garbage → guest or a clean 4xx, never 500', async () => {
    const parts = w.a.token.split('.')
    const cases = [
      'x'.repeat(100 * 1024),
      `${w.a.token}${'A'.repeat(9000)}`,
      `${w.a.token}.${parts[2]}`,
      `${parts[0]}.${parts[1]}.${parts[2]}.`,
      `${parts[0]}..${parts[2]}`,
      '...',
      '.',
      `${parts[0]}.!!!!.${parts[2]}`,
      `${parts[0]}.${b64('not json')}.${parts[2]}`,
      `${parts[0]}.${b64('[]')}.${parts[2]}`,
      `${parts[0]}.${b64('null')}.${parts[2]}`,
      `${b64('{"alg":"HS256"')}.${parts[1]}.${parts[2]}`,
      'Bearer',
      'Bearer ',
      `Bearer ${'x'.repeat(20000)}`,
      `Basic ${Buffer.from('a:b').toString('base64')}`,
      `Bearer ${parts[0]}.${b64(claimsFor(w.b.id))}.${parts[2]}`,
      `${w.a.token} ${w.b.token}`,
      `${w.a.token},${w.b.token}`,
      '%00',
    ]
    for (const token of cases) await expectGuest(token, token.slice(0, 40))
  })
  it('still healthy afterwards', async () => {
    expect((await raw(w, 'GET', '/api/health')).status).toBe(200)
  })
})

describe('E7 revoked sessions', () => {
  it('password change and account deletion kill existing tokens', async () => {
    const pb = w.s.client()
    const email = `carol-${Date.now()}@example.com`
    const rec = await pb.collection('users').create({ email, password: 'password123', passwordConfirm: 'password123' })
    const { token } = await pb.collection('users').authWithPassword(email, 'password123')
    const chg = await raw(w, 'PATCH', `/api/collections/users/records/${rec.id}`, { token, body: { oldPassword: 'password123', password: 'password456', passwordConfirm: 'password456' } })
    expect(chg.status, chg.text).toBe(200)
    await expectGuest(token, 'after password change')
    const { token: t2 } = await pb.collection('users').authWithPassword(email, 'password456')
    expect((await raw(w, 'DELETE', `/api/collections/users/records/${rec.id}`, { token: t2 })).status).toBe(204)
    await expectGuest(t2, 'after delete')
  })
})
