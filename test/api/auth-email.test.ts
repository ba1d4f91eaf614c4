// Email flows end to end through the SDK and a real in-process SMTP server: verification, password
// reset, email change, the /_/ link page, and the hostile cases (reuse, expiry, type confusion,
// enumeration, concurrency). Tokens are always taken from the link in the received mail.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type PocketBase from 'pocketbase'
import { startServer, waitFor, type TestServer } from '../support/server.ts'
import { linkFrom, startSmtp, type TestSmtp, useTestSmtp } from '../support/smtp.ts'
import { PASSWORD, failure, jwtPayload, raw, signUp, uniqueEmail } from './helpers.ts'

let s: TestServer
let su: PocketBase
let smtp: TestSmtp
/** Every background send finished (used before asserting that NO mail was sent). */
const settled = () => s.app.emailFlows.idle()

beforeAll(async () => {
  s = await startServer()
  su = await s.superuser()
  smtp = await startSmtp()
  await useTestSmtp(su, smtp, { appName: 'Basalt Test', appURL: s.url + '/' })
  // A second auth collection for expiry, template and cross-collection cases, so `users` keeps defaults.
  await su.collections.create({ name: 'members', type: 'auth', createRule: '', fields: [{ name: 'name', type: 'text' }] })
})
afterAll(async () => {
  await s?.close()
  await smtp?.close()
})

async function verificationToken(email: string, collection = 'users') {
  await s.client().collection(collection).requestVerification(email)
  return linkFrom(await smtp.next(email), 'confirm-verification').token
}
async function resetToken(email: string, collection = 'users') {
  await s.client().collection(collection).requestPasswordReset(email)
  return linkFrom(await smtp.next(email), 'confirm-password-reset').token
}
async function memberSignUp(data: Record<string, unknown> = {}) {
  const email = uniqueEmail('member')
  await s.client().collection('members').create({ email, password: PASSWORD, passwordConfirm: PASSWORD, ...data })
  return email
}

describe('verification', () => {
  it('mails a link to /_/#/auth/confirm-verification/<token>; confirming verifies and emits a realtime update', async () => {
    const { pb, record, email } = await signUp(s)
    const events: { action: string; verified: unknown }[] = []
    await pb.collection('users').subscribe(record.id, (e) => events.push({ action: e.action, verified: e.record.verified }))

    await s.client().collection('users').requestVerification(email)
    const mail = await smtp.next(email)
    expect(mail.subject).toBe('Verify your Basalt Test email')
    expect(mail.from).toBe('noreply@example.com')
    const link = linkFrom(mail, 'confirm-verification')
    expect(link.url.startsWith(`${s.url}/_/#/auth/confirm-verification/`)).toBe(true) // no `//_/` from the trailing slash
    expect(jwtPayload(link.token)).toMatchObject({ type: 'verification', id: record.id, collectionId: record.collectionId, email })

    // Following the link: the server returns the page (the fragment never reaches it); the page posts the token.
    const page = await fetch(link.url)
    expect(page.status).toBe(200)
    expect(await pb.collection('users').confirmVerification(link.token)).toBe(true)
    expect(pb.authStore.record?.verified).toBe(true)
    expect((await pb.collection('users').authRefresh()).record.verified).toBe(true)
    await waitFor(() => events.some((e) => e.action === 'update' && e.verified === true), 5000, 'realtime update')
    await pb.collection('users').unsubscribe()
  })

  it('confirming an address that is already verified is 204 (PocketBase); a forged or stale token → 400 data.token', async () => {
    const { email } = await signUp(s)
    const token = await verificationToken(email)
    await s.client().collection('users').confirmVerification(token)
    expect(await s.client().collection('users').confirmVerification(token)).toBe(true)
    const forged = token.slice(0, -4) + (token.endsWith('AAAA') ? 'BBBB' : 'AAAA')
    const f = await failure(s.client().collection('users').confirmVerification(forged))
    expect(f).toEqual({ status: 400, body: { status: 400, message: 'Invalid or expired verification token.', data: {
      token: { code: 'validation_invalid_token', message: 'Invalid or expired token.' } } } })
  })

  it('a genuine token of another auth collection → 400 data.token validation_token_collection_mismatch', async () => {
    const email = await memberSignUp()
    await s.client().collection('members').requestVerification(email)
    const { token } = linkFrom(await smtp.next(email), 'confirm-verification')
    const f = await failure(s.client().collection('users').confirmVerification(token))
    expect(f.status).toBe(400)
    expect(f.body.data).toEqual({ token: { code: 'validation_token_collection_mismatch', message: 'The provided token is for different auth collection.' } })
    expect(await s.client().collection('members').confirmVerification(token)).toBe(true)
  })

  it('20 concurrent confirms of one token all succeed and verify the record once (M5)', async () => {
    const { pb, record, email } = await signUp(s)
    const token = await verificationToken(email)
    const updates: string[] = []
    await pb.collection('users').subscribe(record.id, (e) => updates.push(e.action))
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => s.client().collection('users').confirmVerification(token)))
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(20)
    await waitFor(() => updates.length > 0, 5000, 'realtime update')
    await pb.collection('users').confirmVerification(token) // one more, then give stray events time to arrive
    await new Promise((r) => setTimeout(r, 300))
    expect(updates).toEqual(['update'])
    await pb.collection('users').unsubscribe()
  })

  it('already verified, unknown and repeated (2-min cooldown) requests are 204 and send nothing', async () => {
    const { email } = await signUp(s)
    await s.client().collection('users').confirmVerification(await verificationToken(email))
    await s.client().collection('users').requestVerification(email)
    const { email: other } = await signUp(s)
    await s.client().collection('users').requestVerification(other)
    await s.client().collection('users').requestVerification(other)
    const ghost = uniqueEmail('ghost')
    await s.client().collection('users').requestVerification(ghost)
    await settled()
    expect(smtp.to(email)).toHaveLength(1)
    expect(smtp.to(other)).toHaveLength(1)
    expect(smtp.to(ghost)).toHaveLength(0)
  })

  it('_superusers → 400; a non-auth or unknown collection → 404', async () => {
    expect((await failure(s.client().collection('_superusers').requestVerification('root@example.com'))).status).toBe(400)
    expect((await failure(s.client().collection('nope').requestVerification('a@example.com'))).status).toBe(404)
  })
})

describe('enumeration (F1/F3 siblings)', () => {
  it.each(['request-verification', 'request-password-reset'])('%s: existing and unknown email get byte-identical answers', async (action) => {
    const { email } = await signUp(s)
    const send = (e: string) => raw(s, `/api/collections/users/${action}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: e }) })
    const [known, unknown] = [await send(email), await send(uniqueEmail('ghost'))]
    expect(known.status).toBe(204)
    expect({ status: unknown.status, text: unknown.text }).toEqual({ status: known.status, text: known.text })
    const [badKnown, badUnknown] = [await send(''), await send('not-an-email')]
    expect(badKnown.status).toBe(400)
    expect(badUnknown.status).toBe(400)
    await settled()
  })
})

describe('password reset', () => {
  it('resets the password, kills every older auth token, marks verified; the link is single-use', async () => {
    const { pb, email } = await signUp(s)
    const oldToken = pb.authStore.token
    const mail = await (async () => { await s.client().collection('users').requestPasswordReset(email); return smtp.next(email) })()
    expect(mail.subject).toBe('Reset your Basalt Test password')
    const { token } = linkFrom(mail, 'confirm-password-reset')
    expect(jwtPayload(token)).toMatchObject({ type: 'passwordReset', email })

    expect(await s.client().collection('users').confirmPasswordReset(token, 'brand-new-pass', 'brand-new-pass')).toBe(true)
    expect((await failure(pb.collection('users').authRefresh())).status).toBe(401)
    expect((await raw(s, '/api/collections/users/auth-refresh', { method: 'POST', token: oldToken })).status).toBe(401)
    expect((await failure(s.client().collection('users').authWithPassword(email, PASSWORD))).status).toBe(400)
    const fresh = await s.client().collection('users').authWithPassword(email, 'brand-new-pass')
    expect(fresh.record.verified).toBe(true)
    const again = await failure(s.client().collection('users').confirmPasswordReset(token, 'another-pass-1', 'another-pass-1'))
    expect(again.body.message).toBe('Invalid or expired password reset token.')
  })

  it('validates the new password like the password field', async () => {
    const { email } = await signUp(s)
    const token = await resetToken(email)
    expect((await failure(s.client().collection('users').confirmPasswordReset(token, 'short', 'short'))).body.data?.password?.code).toEqual(expect.any(String))
    expect((await failure(s.client().collection('users').confirmPasswordReset(token, 'long-enough-1', 'different-22'))).body.data?.passwordConfirm?.code).toBe('validation_values_mismatch')
    // Rejected attempts do not consume the token.
    expect(await s.client().collection('users').confirmPasswordReset(token, 'long-enough-1', 'long-enough-1')).toBe(true)
  })

  it('20 concurrent confirms with one token → exactly one 204, and only that password works (M5)', async () => {
    const { email } = await signUp(s)
    const token = await resetToken(email)
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) =>
      s.client().collection('users').confirmPasswordReset(token, `parallel-pass-${i}`, `parallel-pass-${i}`)))
    const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []))
    expect(winners).toHaveLength(1)
    for (const r of results) if (r.status === 'rejected') expect((r.reason as { status: number }).status).toBe(400)
    await s.client().collection('users').authWithPassword(email, `parallel-pass-${winners[0]}`)
  })

  it('an expired token (collection passwordResetToken.duration = 1 s) → 400', async () => {
    await su.collections.update('members', { passwordResetToken: { duration: 1 } })
    const email = await memberSignUp()
    const token = await resetToken(email, 'members')
    const exp = Number(jwtPayload(token).exp)
    await waitFor(() => Date.now() >= exp * 1000, 5000, 'token expiry')
    const f = await failure(s.client().collection('members').confirmPasswordReset(token, 'brand-new-pass', 'brand-new-pass'))
    expect(f.body.message).toBe('Invalid or expired password reset token.')
  })
})

describe('token type confusion (E9)', () => {
  it('each mailed token works only at its own endpoint, and none is accepted as Authorization', async () => {
    const { pb, email } = await signUp(s)
    const verify = await verificationToken(email)
    const reset = await resetToken(email)
    const newEmail = uniqueEmail('new')
    await pb.collection('users').requestEmailChange(newEmail)
    const change = linkFrom(await smtp.next(newEmail), 'confirm-email-change').token
    const users = () => s.client().collection('users')
    expect((await failure(users().confirmVerification(reset))).status).toBe(400)
    expect((await failure(users().confirmVerification(change))).status).toBe(400)
    expect((await failure(users().confirmVerification(pb.authStore.token))).status).toBe(400)
    expect((await failure(users().confirmPasswordReset(verify, 'brand-new-pass', 'brand-new-pass'))).status).toBe(400)
    expect((await failure(users().confirmPasswordReset(pb.authStore.token, 'brand-new-pass', 'brand-new-pass'))).status).toBe(400)
    expect((await failure(users().confirmEmailChange(reset, PASSWORD))).body.data?.token?.code).toBe('validation_invalid_token')
    // A users token at another auth collection's endpoint.
    expect((await failure(s.client().collection('members').confirmVerification(verify))).status).toBe(400)
    for (const t of [verify, reset, change]) {
      expect((await raw(s, '/api/collections/users/auth-refresh', { method: 'POST', token: t })).status).toBe(401)
      expect((await raw(s, '/api/collections/users/request-email-change', { method: 'POST', token: t, headers: { 'content-type': 'application/json' }, body: '{"newEmail":"x@example.com"}' })).status).toBe(401)
    }
    // Everything above left the tokens intact.
    expect(await users().confirmVerification(verify)).toBe(true)
  })
})

describe('email change', () => {
  it('mails the NEW address; confirming with the current password switches email, verifies, logs out', async () => {
    const { pb, email } = await signUp(s)
    const newEmail = uniqueEmail('moved')
    expect(await pb.collection('users').requestEmailChange(newEmail)).toBe(true)
    const mail = await smtp.next(newEmail)
    expect(smtp.to(email)).toHaveLength(0)
    expect(mail.subject).toBe('Confirm your Basalt Test new email address')
    const { token } = linkFrom(mail, 'confirm-email-change')
    expect(jwtPayload(token)).toMatchObject({ type: 'emailChange', email, newEmail })

    const wrong = await failure(s.client().collection('users').confirmEmailChange(token, 'not-my-password'))
    expect(wrong.body.data?.password?.code).toBe('validation_invalid_password')
    expect(await pb.collection('users').confirmEmailChange(token, PASSWORD)).toBe(true)
    expect(pb.authStore.token).toBe('') // the SDK clears its store; the old token is dead server-side too
    const res = await s.client().collection('users').authWithPassword(newEmail, PASSWORD)
    expect(res.record).toMatchObject({ email: newEmail, verified: true })
    expect((await failure(s.client().collection('users').authWithPassword(email, PASSWORD))).status).toBe(400)
    expect((await failure(s.client().collection('users').confirmEmailChange(token, PASSWORD))).body.data?.token?.code).toBe('validation_invalid_token')
  })

  it('request: 401 without auth, 403 for another collection, 400 for invalid / same / taken addresses', async () => {
    const { pb, email } = await signUp(s)
    const { email: taken } = await signUp(s)
    expect((await failure(s.client().collection('users').requestEmailChange(uniqueEmail()))).status).toBe(401)
    expect((await failure(su.collection('users').requestEmailChange(uniqueEmail()))).status).toBe(403)
    for (const [value, code] of [['nope', 'validation_is_email'], [email.toUpperCase(), 'validation_not_in_invalid'], [taken, 'validation_not_unique'], ['', 'validation_required']]) {
      expect((await failure(pb.collection('users').requestEmailChange(value))).body.data?.newEmail?.code).toBe(code)
    }
    expect((await failure(su.collection('_superusers').requestEmailChange(uniqueEmail()))).status).toBe(400)
  })

  it('F3: forged tokens never reach the "taken" check; a taken address shows only after token + password', async () => {
    const { pb } = await signUp(s)
    const target = uniqueEmail('later')
    await pb.collection('users').requestEmailChange(target)
    const { token } = linkFrom(await smtp.next(target), 'confirm-email-change')
    const { email: existing } = await signUp(s)
    // Same signature, payload rewritten to probe another address: indistinguishable from any bad token.
    const forge = (newEmail: string) => {
      const [h, p, sig] = token.split('.')
      const payload = { ...JSON.parse(Buffer.from(p, 'base64url').toString()), newEmail }
      return [h, Buffer.from(JSON.stringify(payload)).toString('base64url'), sig].join('.')
    }
    const a = await failure(s.client().collection('users').confirmEmailChange(forge(existing), PASSWORD))
    const b = await failure(s.client().collection('users').confirmEmailChange(forge(uniqueEmail('free')), PASSWORD))
    expect(a).toEqual(b)
    expect(a.body.data?.token?.code).toBe('validation_invalid_token')

    await s.client().collection('users').create({ email: target, password: PASSWORD, passwordConfirm: PASSWORD })
    expect((await failure(s.client().collection('users').confirmEmailChange(token, 'wrong-password'))).body.data).toEqual({
      password: expect.objectContaining({ code: 'validation_invalid_password' }),
    })
    expect((await failure(s.client().collection('users').confirmEmailChange(token, PASSWORD))).body.data?.token?.code).toBe('validation_existing_token_email')
  })
})

describe('templates and delivery', () => {
  it('fills {RECORD:field} HTML-escaped and never renders tokenKey/password', async () => {
    await su.collections.update('members', {
      verificationTemplate: { subject: 'Hi {RECORD:name} from {APP_NAME}', body: '<p>Hi {RECORD:name} [{RECORD:tokenKey}][{RECORD:password}] {APP_URL}/_/#/auth/confirm-verification/{TOKEN}</p>' },
    })
    const email = await memberSignUp({ name: '<img src=x onerror=alert(1)> {TOKEN}' })
    await s.client().collection('members').requestVerification(email)
    const mail = await smtp.next(email)
    const html = mail.decoded.split(/content-type: text\/html/i)[1]
    expect(html).toContain('Hi &lt;img src=x onerror=alert(1)&gt; {TOKEN} [][]')
    expect(html).not.toContain('<img')
    expect(mail.subject).toBe('Hi <img src=x onerror=alert(1)> {TOKEN} from Basalt Test')
    linkFrom(mail, 'confirm-verification')
  })

  it('an unreachable SMTP server: requests still 204, the failure is logged, the server stays up', async () => {
    const { email } = await signUp(s)
    await su.settings.update({ smtp: { port: 1 } })
    try {
      expect(await s.client().collection('users').requestPasswordReset(email)).toBe(true)
      await settled()
      expect((await raw(s, '/api/health')).status).toBe(200)
    } finally {
      await su.settings.update({ smtp: { port: smtp.port } })
    }
    // The failed send did not start the resend cooldown.
    expect(linkFrom(await (async () => { await s.client().collection('users').requestPasswordReset(email); return smtp.next(email) })(), 'confirm-password-reset').token).toBeTruthy()
  })
})

describe('GET /_/ (link page)', () => {
  // The dashboard (ui/dist) or, unbuilt, the small link page answers: both under a strict CSP (test/ui/serving.test.ts).
  it('serves a page under a strict CSP, no inline code allowed', async () => {
    const res = await raw(s, '/_/')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/html/)
    const csp = res.headers.get('content-security-policy')!
    expect(csp).toMatch(/default-src 'none'/)
    expect(csp).toMatch(/script-src ('sha256-[A-Za-z0-9+/]+=*'|'self')/)
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/)
    expect(res.headers.get('referrer-policy')).toBe('no-referrer')
    const redirect = await fetch(s.url + '/_', { redirect: 'manual' })
    expect(redirect.status).toBe(301)
    expect(redirect.headers.get('location')).toBe('/_/')
  })
})
