// OTP, MFA and TOTP through the SDK, codes read from a real in-process SMTP server; hostile cases by threat.
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type PocketBase from 'pocketbase'
import { SMTPServer } from 'smtp-server'
import { startServer, waitFor, type TestServer } from '../support/server.ts'
import { systemClock } from '../../src/core/clock.ts'
import { base32Decode, hotp } from '../../src/auth/totp.ts'
import { PASSWORD, failure, raw, uniqueEmail } from './helpers.ts'

let s: TestServer
let su: PocketBase
let smtp: SMTPServer
const inbox: string[] = []
// The server shares this process's clock object: tests move time forward instead of sleeping.
let offset = 0
const now = () => Date.now() + offset

const TEMPLATE = { subject: 'Code for {APP_NAME}', body: '<p>code=[{OTP}] id=[{OTP_ID}]</p>' }

beforeAll(async () => {
  vi.spyOn(systemClock, 'now').mockImplementation(() => new Date(now()))
  smtp = new SMTPServer({
    authOptional: true, disabledCommands: ['STARTTLS', 'AUTH'], logger: false,
    onData(stream, _session, done) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      // Undo quoted-printable soft breaks and escapes; enough to read `code=[…]` back.
      stream.on('end', () => {
        inbox.push(Buffer.concat(chunks).toString('latin1').replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))))
        done()
      })
    },
  })
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()))
  s = await startServer()
  su = await s.superuser()
  await su.settings.update({ smtp: { enabled: true, host: '127.0.0.1', port: (smtp.server.address() as AddressInfo).port, tls: false } })
  const otp = { enabled: true, duration: 180, length: 8, emailTemplate: TEMPLATE }
  await su.collections.update('users', { otp })
  await su.collections.create({ name: 'members', type: 'auth', fields: [], otp, mfa: { enabled: true, duration: 1800, rule: '' } })
})
afterAll(async () => {
  await s?.close()
  await new Promise<void>((r) => (smtp ? smtp.close(() => r()) : r()))
  vi.restoreAllMocks()
})

async function member(collection = 'members', prefix = collection) {
  const email = uniqueEmail(prefix)
  const record = await su.collection(collection).create({ email, password: PASSWORD, passwordConfirm: PASSWORD })
  return { email, id: record.id as string }
}

/** Requests an OTP and reads its code from the mail that carries this otpId. */
async function otpFor(email: string, collection = 'members') {
  const { otpId } = await s.client().collection(collection).requestOTP(email)
  const mail = await waitFor(() => inbox.find((m) => m.includes(`id=[${otpId}]`)), 10_000, 'the OTP mail')
  return { otpId, code: /code=\[(\d+)\]/.exec(mail!)![1] }
}

/** A password login that must stop at MFA; returns the mfaId. */
async function firstFactor(email: string) {
  const f = await failure(s.client().collection('members').authWithPassword(email, PASSWORD))
  expect(f.status).toBe(401)
  return f.body as unknown as { mfaId: string }
}

const totpCode = (secret: string, stepShift = 0) => hotp(base32Decode(secret), Math.floor(now() / 30_000) + stepShift)

describe('OTP (users: MFA off)', () => {
  it('request-otp mails an otp.length-digit code; auth-with-otp logs in, verifies the record and kills a pre-registered password', async () => {
    const { email } = await member('users')
    const { otpId, code } = await otpFor(email, 'users')
    expect(otpId).toMatch(/^[a-z0-9]{15}$/)
    expect(code).toMatch(/^\d{8}$/)
    const pb = s.client()
    const res = await pb.collection('users').authWithOTP(otpId, code)
    expect(pb.authStore.isValid).toBe(true)
    expect(res.record).toMatchObject({ email, verified: true })
    expect((await failure(s.client().collection('users').authWithPassword(email, PASSWORD))).status).toBe(400)
  })

  it('unknown email → the same 200 shape, nothing mailed; that id is just invalid', async () => {
    const before = inbox.length
    const { otpId } = await s.client().collection('users').requestOTP(uniqueEmail('nobody'))
    expect(otpId).toMatch(/^[a-z0-9]{15}$/)
    const f = await failure(s.client().collection('users').authWithOTP(otpId, '12345678'))
    expect(f).toMatchObject({ status: 400, body: { message: 'Invalid or expired OTP.' } })
    await new Promise((r) => setTimeout(r, 200))
    expect(inbox.length).toBe(before)
  })

  it('F7: a code works once — replay → 400', async () => {
    const { email } = await member('users')
    const { otpId, code } = await otpFor(email, 'users')
    await s.client().collection('users').authWithOTP(otpId, code)
    expect((await failure(s.client().collection('users').authWithOTP(otpId, code))).status).toBe(400)
  })

  it('F7/M5: the correct code 20× concurrently → exactly one 200', async () => {
    const { email } = await member('users')
    const { otpId, code } = await otpFor(email, 'users')
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => s.client().collection('users').authWithOTP(otpId, code)))
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
    for (const r of results) if (r.status === 'rejected') expect(r.reason.status).toBe(400)
  })

  it('wrong code ×5 → 400, the 6th attempt (even correct) → 429; after the window the OTP stays burned', async () => {
    const { email } = await member('users')
    const { otpId, code } = await otpFor(email, 'users')
    const wrong = code === '00000000' ? '11111111' : '00000000'
    for (let i = 0; i < 5; i++) expect((await failure(s.client().collection('users').authWithOTP(otpId, wrong))).status).toBe(400)
    expect((await failure(s.client().collection('users').authWithOTP(otpId, code))).status).toBe(429)
    offset += 181_000
    expect((await failure(s.client().collection('users').authWithOTP(otpId, code))).status).toBe(400)
    const fresh = await otpFor(email, 'users') // a new code works again
    await s.client().collection('users').authWithOTP(fresh.otpId, fresh.code)
  })

  it('F9: after otp.duration the code is rejected', async () => {
    const { email } = await member('users')
    const { otpId, code } = await otpFor(email, 'users')
    offset += 181_000
    expect((await failure(s.client().collection('users').authWithOTP(otpId, code))).body.message).toBe('Invalid or expired OTP.')
  })

  it('an otpId of another collection → 400; OTP disabled → 403; missing fields → 400 validation', async () => {
    const { email } = await member('users')
    const { otpId, code } = await otpFor(email, 'users')
    expect((await failure(s.client().collection('members').authWithOTP(otpId, code))).status).toBe(400)
    expect((await failure(s.client().collection('_superusers').requestOTP('root@example.com'))).status).toBe(403)
    const f = await failure(s.client().collection('users').requestOTP(''))
    expect(f.status).toBe(400)
    expect(f.body.data?.email?.code).toBe('validation_required')
    expect((await failure(s.client().collection('users').authWithOTP('', ''))).body.data).toHaveProperty('otpId')
  })

  it('auth-methods reports otp and mfa with their durations (0 when off)', async () => {
    const users = await s.client().collection('users').listAuthMethods()
    expect(users.otp).toEqual({ enabled: true, duration: 180 })
    expect(users.mfa).toEqual({ enabled: false, duration: 0 })
    expect((await s.client().collection('members').listAuthMethods()).mfa).toEqual({ enabled: true, duration: 1800 })
  })
})

describe('MFA (members: MFA on)', () => {
  it('F11: password → 401 with only {mfaId}; OTP with that mfaId → 200', async () => {
    const { email } = await member()
    const res = await raw(s, '/api/collections/members/auth-with-password', {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ identity: email, password: PASSWORD }),
    })
    expect(res.status).toBe(401)
    const body = res.json
    expect(Object.keys(body)).toEqual(['mfaId'])
    const { otpId, code } = await otpFor(email)
    const pb = s.client()
    await pb.collection('members').authWithOTP(otpId, code, { mfaId: body.mfaId })
    expect(pb.authStore.isValid).toBe(true)
    await pb.collection('members').authRefresh() // refresh never asks for a second factor
  })

  it('OTP first, then password with the mfaId (in the body) → 200', async () => {
    const { email } = await member()
    const { otpId, code } = await otpFor(email)
    const f = await failure(s.client().collection('members').authWithOTP(otpId, code))
    expect(f.status).toBe(401)
    const mfaId = (f.body as { mfaId: string }).mfaId
    const res = await raw(s, '/api/collections/members/auth-with-password', {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ identity: email, password: PASSWORD, mfaId }),
    })
    expect(res.status).toBe(200)
  })

  it('same method twice, another user\'s mfaId, an unknown or expired mfaId → 400', async () => {
    const a = await member(), b = await member()
    const { mfaId } = await firstFactor(a.email)
    const same = await failure(s.client().collection('members').authWithPassword(a.email, PASSWORD, { mfaId }))
    expect(same.body.message).toBe('A different authentication method is required.')
    const otpB = await otpFor(b.email)
    expect((await failure(s.client().collection('members').authWithOTP(otpB.otpId, otpB.code, { mfaId }))).body.message).toBe('Invalid MFA session.')
    const otpA = await otpFor(a.email)
    expect((await failure(s.client().collection('members').authWithOTP(otpA.otpId, otpA.code, { mfaId: 'x'.repeat(15) }))).body.message)
      .toBe('Invalid or expired MFA session.')
    offset += 1801_000
    const late = await otpFor(a.email)
    expect((await failure(s.client().collection('members').authWithOTP(late.otpId, late.code, { mfaId }))).body.message)
      .toBe('Invalid or expired MFA session.')
  })

  it('M5: one mfaId completed 20× concurrently by a reusable password → exactly one 200', async () => {
    const { email } = await member()
    const { otpId, code } = await otpFor(email)
    const mfaId = ((await failure(s.client().collection('members').authWithOTP(otpId, code))).body as { mfaId: string }).mfaId
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => s.client().collection('members').authWithPassword(email, PASSWORD, { mfaId })))
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
  })

  it('mfa.rule limits who needs a second factor', async () => {
    await su.collections.update('members', { mfa: { enabled: true, duration: 1800, rule: "email ~ 'strict'" } })
    try {
      const relaxed = await member()
      await s.client().collection('members').authWithPassword(relaxed.email, PASSWORD)
      const strict = await member('members', 'strict')
      await firstFactor(strict.email)
    } finally {
      await su.collections.update('members', { mfa: { enabled: true, duration: 1800, rule: '' } })
    }
  })
})

describe('TOTP second factor (Basalt extension)', () => {
  async function loggedIn() {
    const m = await member()
    const { mfaId } = await firstFactor(m.email)
    const { otpId, code } = await otpFor(m.email)
    const pb = s.client()
    await pb.collection('members').authWithOTP(otpId, code, { mfaId })
    return { ...m, pb }
  }
  const send = (pb: PocketBase | null, path: string, body: unknown = {}) =>
    raw(s, `/api/collections/members/${path}`, { method: 'POST', token: pb?.authStore.token, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })

  it('enroll → verify → login with password + TOTP; code reuse, throttle, recovery codes, disable', async () => {
    const m = await loggedIn()
    expect((await send(null, 'totp/enroll')).status).toBe(401)
    const enroll = await send(m.pb, 'totp/enroll')
    expect(enroll.headers.get('cache-control')).toBe('no-store')
    const { secret, uri } = enroll.json
    expect(secret).toMatch(/^[A-Z2-7]{32}$/)
    expect(uri).toBe(`otpauth://totp/Acme:${encodeURIComponent(m.email)}?secret=${secret}&issuer=Acme&algorithm=SHA1&digits=6&period=30`)
    expect((await send(m.pb, 'totp/verify', { code: '000000' === totpCode(secret) ? '111111' : '000000' })).status).toBe(400)
    const verify = await send(m.pb, 'totp/verify', { code: totpCode(secret) })
    expect(verify.status).toBe(200)
    const { recoveryCodes } = verify.json
    expect(recoveryCodes).toHaveLength(10)

    // The code just used for verify cannot be replayed, even within its own step.
    let { mfaId } = await firstFactor(m.email)
    expect((await send(null, 'auth-with-totp', { mfaId, code: totpCode(secret) })).status).toBe(400)
    offset += 30_000
    const ok = await send(null, 'auth-with-totp', { mfaId, code: totpCode(secret) })
    expect(ok.status).toBe(200)
    expect(ok.json.record.email).toBe(m.email)
    expect((await send(null, 'auth-with-totp', { mfaId, code: totpCode(secret, 1) })).status).toBe(400) // session consumed

    // A recovery code works once.
    ;({ mfaId } = await firstFactor(m.email))
    expect((await send(null, 'auth-with-totp', { mfaId, recoveryCode: recoveryCodes[0] })).status).toBe(200)
    ;({ mfaId } = await firstFactor(m.email))
    expect((await send(null, 'auth-with-totp', { mfaId, recoveryCode: recoveryCodes[0] })).status).toBe(400)

    // Disable needs the password and a valid proof.
    expect((await send(m.pb, 'totp/disable', { password: 'wrong-password', recoveryCode: recoveryCodes[1] })).status).toBe(400)
    expect((await send(m.pb, 'totp/disable', { password: PASSWORD, recoveryCode: recoveryCodes[1] })).status).toBe(204)
    expect((await raw(s, '/api/collections/members/totp', { token: m.pb.authStore.token })).json).toEqual({ enabled: false, pending: false })
    expect((await send(null, 'auth-with-totp', { mfaId, code: totpCode(secret, 1) })).status).toBe(400)
  })

  it('wrong TOTP codes ×5 → 400, then 429; a password alone is never enough once MFA is on', async () => {
    const m = await loggedIn()
    const { secret } = (await send(m.pb, 'totp/enroll')).json
    expect((await send(m.pb, 'totp/verify', { code: totpCode(secret) })).status).toBe(200)
    const { mfaId } = await firstFactor(m.email)
    const good = totpCode(secret, 1)
    const bad = String((Number(good) + 500_000) % 1_000_000).padStart(6, '0')
    for (let i = 0; i < 5; i++) expect((await send(null, 'auth-with-totp', { mfaId, code: bad })).status).toBe(400)
    expect((await send(null, 'auth-with-totp', { mfaId, code: good })).status).toBe(429)
    expect((await send(null, 'auth-with-totp', { code: good })).status).toBe(400) // no mfaId: TOTP is never a first factor
  })

  it('TOTP state is not readable through record or collection APIs', async () => {
    const m = await loggedIn()
    const { secret } = (await send(m.pb, 'totp/enroll')).json
    const rec = await su.collection('members').getOne(m.id)
    expect(JSON.stringify(rec)).not.toContain(secret)
    expect((await failure(su.collections.getOne('_totp'))).status).toBe(404)
  })
})
