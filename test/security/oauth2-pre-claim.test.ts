// Account pre-hijacking through OAuth2 (issue 7, high): an attacker must not pre-claim a victim's address,
// and any later proof of the address by its owner drops provider links that never proved it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type PocketBase from 'pocketbase'
import { startServer, type TestServer } from '../support/server.ts'
import { authorizeAs, startRealProvider, type RealProvider } from '../support/oidc.ts'
import { linkFrom, startSmtp, type TestSmtp, useTestSmtp } from '../support/smtp.ts'
import { PASSWORD, failure, signUp } from '../api/helpers.ts'

let s: TestServer
let su: PocketBase
let idp: RealProvider
let smtp: TestSmtp
let redirectURL: string

beforeAll(async () => {
  s = await startServer()
  su = await s.superuser()
  smtp = await startSmtp()
  redirectURL = `${s.url}/api/oauth2-redirect`
  idp = await startRealProvider([redirectURL], {
    attacker: { email: 'attacker@example.com', email_verified: true },
    owner: { email: 'owner@example.com', email_verified: true },
  })
  await useTestSmtp(su, smtp, { appName: 'Basalt Test', appURL: s.url + '/' })
  await su.collections.update('users', { oauth2: { enabled: true, providers: [{ name: 'oidc', clientId: idp.clientId, clientSecret: idp.clientSecret, extra: { issuer: idp.issuer } }] } })
})
afterAll(async () => {
  await s?.close()
  await idp?.close()
  await smtp?.close()
})

async function login(pb: PocketBase, account: string, createData?: Record<string, unknown>) {
  const p = (await pb.collection('users').listAuthMethods()).oauth2.providers.find((x) => x.name === 'oidc')!
  const back = await authorizeAs(p.authURL + encodeURIComponent(redirectURL), account, redirectURL)
  return pb.collection('users').authWithOAuth2Code('oidc', back.searchParams.get('code')!, p.codeVerifier, redirectURL, createData)
}

const linksOf = (recordId: string) => su.collection('_externalAuths').getFullList({ filter: su.filter('recordRef = {:id}', { id: recordId }) })

async function resetPassword(email: string, password: string) {
  await s.client().collection('users').requestPasswordReset(email)
  const { token } = linkFrom(await smtp.next(email), 'confirm-password-reset')
  await s.client().collection('users').confirmPasswordReset(token, password, password)
}

describe('OAuth2 sign-up cannot name an address the provider did not verify', () => {
  it('createData.email of someone else → 400 on email, and no account is created for it', async () => {
    const f = await failure(login(s.client(), 'attacker', { email: 'victim@example.com' }))
    expect(f.status).toBe(400)
    expect(f.body.data?.email?.code).toBe('validation_oauth2_email_mismatch')
    expect((await su.collection('users').getList(1, 1, { filter: 'email = "victim@example.com"' })).totalItems).toBe(0)
  })

  it('createData repeating the verified address is accepted', async () => {
    const auth = await login(s.client(), 'owner', { email: 'OWNER@example.com', name: 'Owner' })
    expect(auth.record.email).toBe('owner@example.com')
    expect(auth.record.verified).toBe(true)
  })
})

describe('a proof of address ownership removes links that did not prove it', () => {
  it('a password reset by the owner drops the link the attacker made while signed in to the pre-registered account', async () => {
    // The attacker registers the victim's address with a password and, signed in, links their own provider account.
    const victimEmail = 'victim2@example.com'
    const squatted = await signUp(s, { email: victimEmail })
    const attacker = s.client()
    await attacker.collection('users').authWithPassword(victimEmail, PASSWORD)
    const linked = await login(attacker, 'attacker')
    expect(linked.record.id).toBe(squatted.record.id)
    expect(await linksOf(squatted.record.id)).toHaveLength(1)

    // The owner proves the address (password reset): the attacker's link is gone, so is the way in.
    await resetPassword(victimEmail, 'owner-new-password-1')
    expect(await linksOf(squatted.record.id)).toEqual([])
    const again = await login(s.client(), 'attacker')
    expect(again.record.id).not.toBe(squatted.record.id)
    await s.client().collection('users').authWithPassword(victimEmail, 'owner-new-password-1')
  })

  it('a link that proved the same address survives the owner\'s password reset', async () => {
    const first = await login(s.client(), 'owner')
    expect(await linksOf(first.record.id)).toHaveLength(1)
    await resetPassword('owner@example.com', 'owner-password-2')
    expect(await linksOf(first.record.id)).toHaveLength(1)
    expect((await login(s.client(), 'owner')).record.id).toBe(first.record.id)
  })
})
