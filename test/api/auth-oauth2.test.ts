// OAuth2 / OpenID Connect sign-in against a real in-process OpenID provider (oidc-provider): auth-methods,
// sign-up, linking by `sub`, linking while logged in, claiming by verified email, the SDK popup flow.
import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type PocketBase from 'pocketbase'
import { startServer, waitFor, type TestServer } from '../support/server.ts'
import { authorizeAs, startCounter, startRealProvider, type RealProvider } from '../support/oidc.ts'
import { PASSWORD, failure, signUp } from './helpers.ts'

let s: TestServer
let su: PocketBase
let idp: RealProvider
let counter: Awaited<ReturnType<typeof startCounter>>
let redirectURL: string

beforeAll(async () => {
  s = await startServer()
  su = await s.superuser()
  counter = await startCounter()
  redirectURL = `${s.url}/api/oauth2-redirect`
  idp = await startRealProvider([redirectURL], {
    // The avatar points at an internal address: it must never be fetched (SSRF, F15).
    alice: { email: 'alice@example.com', email_verified: true, name: 'Alice A', preferred_username: 'alice', picture: `${counter.url}/a.png` },
    erin: { email: 'erin@example.com', email_verified: true, name: 'Erin' },
    bobidp: { email: 'bob@example.com', email_verified: true },
    carolidp: { email: 'carol@example.com', email_verified: true },
    davework: { email: 'dave.work@corp.example', email_verified: true },
    member1: { email: 'member1@example.com', email_verified: true },
  })
  await su.collections.update('users', {
    oauth2: { enabled: true, providers: [{ name: 'oidc', clientId: idp.clientId, clientSecret: idp.clientSecret, displayName: 'Test IdP', extra: { issuer: idp.issuer } }] },
  })
})
afterAll(async () => {
  await s?.close()
  await idp?.close()
  await counter?.close()
})

/** auth-methods → provider login as `account` → the code Basalt's redirect URL would receive. */
export async function codeFor(pb: PocketBase, account: string, collection = 'users', provider = 'oidc') {
  const methods = await pb.collection(collection).listAuthMethods()
  const p = methods.oauth2.providers.find((x) => x.name === provider)!
  const back = await authorizeAs(p.authURL + encodeURIComponent(redirectURL), account, redirectURL)
  expect(back.searchParams.get('state')).toBe(p.state)
  return { code: back.searchParams.get('code')!, codeVerifier: p.codeVerifier, provider: p }
}

async function loginAs(account: string, pb = s.client(), createData?: Record<string, unknown>) {
  const { code, codeVerifier } = await codeFor(pb, account)
  return pb.collection('users').authWithOAuth2Code('oidc', code, codeVerifier, redirectURL, createData)
}

async function linksOf(recordId: string) {
  return su.collection('_externalAuths').getFullList({ filter: su.filter('recordRef = {:id}', { id: recordId }) })
}

describe('auth-methods', () => {
  it('lists the provider with a fresh state, an S256 PKCE pair, a nonce and an authURL ending in redirect_uri=', async () => {
    const pb = s.client()
    const a = await pb.send('/api/collections/users/auth-methods', {})
    const b = await pb.send('/api/collections/users/auth-methods', {})
    const p = a.oauth2.providers[0]
    expect(a.oauth2.enabled).toBe(true)
    expect(p).toMatchObject({ name: 'oidc', displayName: 'Test IdP', codeChallengeMethod: 'S256' })
    expect(p.state).toMatch(/^[A-Za-z0-9]{30}$/)
    expect(p.state).not.toBe(b.oauth2.providers[0].state)
    expect(p.codeVerifier.length).toBeGreaterThanOrEqual(43)
    expect(p.codeChallenge).toBe(createHash('sha256').update(p.codeVerifier).digest('base64url'))
    expect(p.authURL.startsWith(`${idp.issuer}/auth?`)).toBe(true)
    expect(p.authURL.endsWith('&redirect_uri=')).toBe(true)
    const q = new URL(p.authURL).searchParams
    expect(q.get('client_id')).toBe('basalt')
    expect(q.get('code_challenge')).toBe(p.codeChallenge)
    expect(q.get('nonce')).toBeTruthy()
    // Legacy keys (SDK < 0.23 shape).
    expect(a.authProviders[0].authUrl).toBe(a.authProviders[0].authURL)
  })

  it('never serializes the client secret, and keeps it when the providers are saved back', async () => {
    const c = await su.collections.getOne('users')
    expect(c.oauth2.providers[0].clientSecret).toBe('')
    await su.collections.update('users', { oauth2: c.oauth2 })
    const again = await loginAs('erin') // still exchanges codes: the secret survived
    expect(again.record.email).toBe('erin@example.com')
  })

  it('lists the supported providers for superusers only', async () => {
    const list = await su.collections.getAllOAuth2Providers()
    expect(list.map((p) => p.name)).toEqual(expect.arrayContaining(['oidc', 'google', 'github']))
    expect((await failure(s.client().collections.getAllOAuth2Providers())).status).toBe(401)
  })
})

describe('auth-with-oauth2', () => {
  it('signs up a new verified user, maps fields, never fetches an internal avatar URL', async () => {
    const res = await loginAs('alice')
    expect(res.meta).toMatchObject({ id: 'alice', email: 'alice@example.com', name: 'Alice A', username: 'alice', isNew: true })
    expect(res.meta?.accessToken).toBeTruthy()
    expect(res.record).toMatchObject({ email: 'alice@example.com', verified: true, name: 'Alice A', avatar: '' })
    expect(counter.hits).toBe(0)
    const links = await linksOf(res.record.id)
    expect(links).toMatchObject([{ provider: 'oidc', providerId: 'alice', collectionRef: res.record.collectionId }])
  })

  it('a second login finds the same record through the link (by sub)', async () => {
    const first = await su.collection('users').getFirstListItem('email = "alice@example.com"')
    const res = await loginAs('alice')
    expect(res.record.id).toBe(first.id)
    expect(res.meta?.isNew).toBe(false)
  })

  it('the SDK popup flow works end to end over realtime @oauth2 and /api/oauth2-redirect', async () => {
    const pb = s.client()
    let page = ''
    const auth = await pb.collection('users').authWithOAuth2({
      provider: 'oidc',
      urlCallback: async (url) => {
        const back = await authorizeAs(url, 'erin', redirectURL)
        const res = await fetch(back)
        page = await res.text()
      },
    })
    expect(auth.record.email).toBe('erin@example.com')
    expect(pb.authStore.isValid).toBe(true)
    expect(page).toContain('You can close this window')
  })

  it('links the provider account to the logged-in user, then logs that user in by it', async () => {
    const dave = await signUp(s, { email: 'dave@example.com' })
    const res = await loginAs('davework', dave.pb)
    expect(res.record.id).toBe(dave.record.id)
    expect(res.meta?.isNew).toBe(false)
    const again = await loginAs('davework')
    expect(again.record.id).toBe(dave.record.id)
    // The SDK's external-auth listing works for the owner, and only for the owner.
    const own = await dave.pb.collection('_externalAuths').getFullList()
    expect(own).toMatchObject([{ provider: 'oidc', providerId: 'davework', recordRef: dave.record.id }])
    const stranger = await signUp(s)
    expect(await stranger.pb.collection('_externalAuths').getFullList()).toEqual([])
    expect((await failure(stranger.pb.collection('_externalAuths').delete(own[0].id))).status).toBe(404)
  })

  it('claims an UNVERIFIED account by a verified provider email: verified, old password dead, old links dropped', async () => {
    const squatter = await signUp(s, { email: 'bob@example.com' })
    const res = await loginAs('bobidp')
    expect(res.record.id).toBe(squatter.record.id)
    expect(res.record.verified).toBe(true)
    expect((await failure(s.client().collection('users').authWithPassword('bob@example.com', PASSWORD))).status).toBe(400)
    // The pre-registered session is revoked (tokenKey rotated).
    expect((await failure(squatter.pb.collection('users').authRefresh())).status).toBe(401)
  })

  it('links a VERIFIED account by the verified provider email and keeps its password', async () => {
    const carol = await signUp(s, { email: 'carol@example.com' })
    await su.collection('users').update(carol.record.id, { verified: true })
    const res = await loginAs('carolidp')
    expect(res.record.id).toBe(carol.record.id)
    await s.client().collection('users').authWithPassword('carol@example.com', PASSWORD)
  })

  it('applies the createRule with @request.context = "oauth2"', async () => {
    await su.collections.create({
      name: 'members', type: 'auth', createRule: '@request.context = "oauth2"', fields: [],
      oauth2: { enabled: true, providers: [{ name: 'oidc', clientId: idp.clientId, clientSecret: idp.clientSecret, extra: { issuer: idp.issuer } }] },
    })
    const pb = s.client()
    expect((await failure(pb.collection('members').create({ email: 'x@example.com', password: PASSWORD, passwordConfirm: PASSWORD }))).status).toBe(400)
    const { code, codeVerifier } = await codeFor(pb, 'member1', 'members')
    const res = await pb.collection('members').authWithOAuth2Code('oidc', code, codeVerifier, redirectURL)
    expect(res.record).toMatchObject({ email: 'member1@example.com', verified: true, collectionName: 'members' })
  })

  it('the relay page answers and the SSE event arrives only once per subscription', async () => {
    const pb = s.client()
    const events: unknown[] = []
    await pb.realtime.subscribe('@oauth2', (e) => events.push(e))
    const url = `${s.url}/api/oauth2-redirect?state=${encodeURIComponent(pb.realtime.clientId)}&code=abc`
    expect((await fetch(url)).status).toBe(200)
    await waitFor(() => events.length === 1, 5000, 'the @oauth2 event')
    expect(events[0]).toEqual({ state: pb.realtime.clientId, code: 'abc' })
    expect((await fetch(url)).status).toBe(400) // unsubscribed after delivery
    await pb.realtime.unsubscribe()
  })
})
