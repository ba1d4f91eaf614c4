// OAuth2 hostile cases (SECURITY.md F13/F15, ASVS 10): PKCE, code replay, forged/mismatched ID tokens,
// unverified provider emails, superuser sign-up, the redirect relay with unknown state or another IP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type PocketBase from 'pocketbase'
import { startServer, type TestServer } from '../support/server.ts'
import { authorizeAs, forgeIdToken, signingKey, startFakeIssuer, startRealProvider, type FakeIssuer, type RealProvider } from '../support/oidc.ts'
import { PASSWORD, failure, signUp } from './helpers.ts'

let s: TestServer
let su: PocketBase
let idp: RealProvider
let fake: FakeIssuer
let redirectURL: string

beforeAll(async () => {
  s = await startServer()
  su = await s.superuser()
  redirectURL = `${s.url}/api/oauth2-redirect`
  idp = await startRealProvider([redirectURL], {
    mallory: { email: 'victim@example.com', email_verified: false, name: 'Mallory' },
    mallory2: { email: 'victim2@example.com' }, // no email_verified claim at all
    frank: { email: 'frank@example.com', email_verified: true },
    gina: { email: 'gina@example.com', email_verified: true },
  })
  fake = await startFakeIssuer()
  const providers = [
    { name: 'oidc', clientId: idp.clientId, clientSecret: idp.clientSecret, extra: { issuer: idp.issuer } },
    { name: 'oidc2', clientId: fake.clientId, clientSecret: 'fake-secret', extra: { issuer: fake.issuer } },
  ]
  await su.collections.update('users', { oauth2: { enabled: true, providers } })
  await su.collections.update('_superusers', { oauth2: { enabled: true, providers } })
})
afterAll(async () => {
  await s?.close()
  await idp?.close()
  await fake?.close()
})

async function providerOf(pb: PocketBase, name: string, collection = 'users') {
  const methods = await pb.collection(collection).listAuthMethods()
  return methods.oauth2.providers.find((x) => x.name === name)!
}

async function realCode(pb: PocketBase, account: string, collection = 'users') {
  const p = await providerOf(pb, 'oidc', collection)
  const back = await authorizeAs(p.authURL + encodeURIComponent(redirectURL), account, redirectURL)
  return { code: back.searchParams.get('code')!, codeVerifier: p.codeVerifier }
}

const exchange = (pb: PocketBase, provider: string, code: string, verifier: string, collection = 'users') =>
  pb.collection(collection).authWithOAuth2Code(provider, code, verifier, redirectURL)

describe('PKCE and code replay (F13)', () => {
  it('a missing or malformed codeVerifier is refused before the provider is called', async () => {
    const pb = s.client()
    const { code } = await realCode(pb, 'gina')
    for (const verifier of ['', 'short']) {
      const f = await failure(exchange(pb, 'oidc', code, verifier))
      expect(f.status).toBe(400)
      expect(f.body.data?.codeVerifier?.code).toBe('validation_invalid_code_verifier')
    }
  })

  it('another request\'s codeVerifier (PKCE + nonce mismatch) → 400', async () => {
    const pb = s.client()
    const { code } = await realCode(pb, 'gina')
    const other = (await providerOf(pb, 'oidc')).codeVerifier
    const f = await failure(exchange(pb, 'oidc', code, other))
    expect(f).toMatchObject({ status: 400, body: { message: 'Failed to fetch OAuth2 token.' } })
  })

  it('a code is accepted once; its replay → 400', async () => {
    const pb = s.client()
    const { code, codeVerifier } = await realCode(pb, 'gina')
    await exchange(pb, 'oidc', code, codeVerifier)
    const f = await failure(exchange(s.client(), 'oidc', code, codeVerifier))
    expect(f).toMatchObject({ status: 400, body: { message: 'Failed to fetch OAuth2 token.' } })
  })

  it('unknown provider, disabled OAuth2 → 400 / 403', async () => {
    expect((await failure(exchange(s.client(), 'github', 'x', 'a'.repeat(43)))).body.data?.provider?.code).toBe('validation_invalid_provider')
    await su.collections.create({ name: 'nooauth', type: 'auth', fields: [] })
    expect((await failure(exchange(s.client(), 'oidc', 'x', 'a'.repeat(43), 'nooauth'))).status).toBe(403)
  })
})

describe('ID token validation (ASVS 10) via a token endpoint the test controls', () => {
  /** auth-methods for oidc2 → the nonce Basalt put in the authURL, and its verifier. */
  async function attempt(claims: (nonce: string) => Record<string, unknown>, sign: Parameters<typeof forgeIdToken>[2] = {}) {
    const pb = s.client()
    const p = await providerOf(pb, 'oidc2')
    const nonce = new URL(p.authURL).searchParams.get('nonce')!
    const sub = `fake-${Math.random().toString(36).slice(2)}`
    fake.userinfo = { sub, email: `${sub}@example.com`, email_verified: true }
    fake.respond = async () => ({ access_token: 'at', token_type: 'Bearer', expires_in: 60, id_token: await forgeIdToken(fake, { sub, ...claims(nonce) }, sign) })
    const result = exchange(pb, 'oidc2', `code-${sub}`, p.codeVerifier)
    return { result, sub, verifierSent: () => fake.tokenRequests.at(-1)?.get('code_verifier') === p.codeVerifier }
  }

  async function refused(a: Awaited<ReturnType<typeof attempt>>) {
    expect(await failure(a.result)).toMatchObject({ status: 400, body: { message: 'Failed to fetch OAuth2 token.' } })
    expect(await su.collection('users').getList(1, 1, { filter: su.filter('email = {:e}', { e: `${a.sub}@example.com` }) })).toMatchObject({ totalItems: 0 })
  }

  it('baseline: a correct token signs in (so each refusal below is caused by its one defect)', async () => {
    const a = await attempt((nonce) => ({ nonce }))
    const res = await a.result
    expect(res.meta).toMatchObject({ id: a.sub, isNew: true })
    expect(a.verifierSent()).toBe(true)
  })

  it('wrong nonce', async () => refused(await attempt(() => ({ nonce: 'not-the-nonce' }))))
  it('missing nonce', async () => refused(await attempt(() => ({}))))
  it('wrong audience', async () => refused(await attempt((nonce) => ({ nonce, aud: 'some-other-client' }))))
  it('wrong issuer', async () => refused(await attempt((nonce) => ({ nonce, iss: idp.issuer }))))
  it('expired', async () => refused(await attempt((nonce) => ({ nonce, exp: Math.floor(Date.now() / 1000) - 3600 }))))
  it('unsigned (alg none)', async () => refused(await attempt((nonce) => ({ nonce }), { alg: 'none' })))
  it('signed by a key that is not the issuer\'s', async () => {
    const foreign = await signingKey('fake-1') // same kid, other key
    await refused(await attempt((nonce) => ({ nonce }), { key: foreign.privateKey }))
  })
  it('userinfo for another subject than the ID token', async () => {
    const a = await attempt((nonce) => ({ nonce }))
    fake.userinfo = { ...fake.userinfo, sub: 'someone-else' }
    expect(await failure(a.result)).toMatchObject({ status: 400, body: { message: 'Failed to fetch OAuth2 user.' } })
  })
})

describe('github preset (against a fake api with explicit URLs)', () => {
  it('uses the verified primary address from /user/emails, never the public profile email', async () => {
    await su.collections.create({
      name: 'ghusers', type: 'auth', createRule: '', fields: [{ name: 'username', type: 'text' }],
      oauth2: {
        enabled: true, mappedFields: { username: 'username' },
        providers: [{ name: 'github', clientId: 'gh', clientSecret: 'gh-secret', authURL: `${fake.issuer}/auth`, tokenURL: `${fake.issuer}/token`, userInfoURL: `${fake.issuer}/user` }],
      },
    })
    const pb = s.client()
    const p = await providerOf(pb, 'github', 'ghusers')
    expect(new URL(p.authURL).searchParams.get('nonce')).toBeNull() // plain OAuth2: no ID token
    fake.respond = async () => ({ access_token: 'gho_x', token_type: 'bearer', scope: 'read:user,user:email' })
    fake.routes['/user'] = { id: 4242, login: 'octo', name: 'Octo Cat', email: 'public@example.com', avatar_url: 'https://127.0.0.1/x.png' }
    fake.routes['/user/emails'] = [{ email: 'public@example.com', primary: false, verified: false }, { email: 'octo@example.com', primary: true, verified: true }]
    const res = await exchange(pb, 'github', 'gh-code', p.codeVerifier, 'ghusers')
    expect(res.meta).toMatchObject({ id: '4242', username: 'octo', email: 'octo@example.com', isNew: true })
    expect(res.record).toMatchObject({ email: 'octo@example.com', verified: true, username: 'octo' })
    expect(fake.tokenRequests.at(-1)?.get('code_verifier')).toBe(p.codeVerifier)
  })
})

describe('account takeover by email', () => {
  it('an UNVERIFIED provider email never logs into, nor links to, the account that owns it', async () => {
    for (const [account, email] of [['mallory', 'victim@example.com'], ['mallory2', 'victim2@example.com']]) {
      const victim = await signUp(s, { email })
      await su.collection('users').update(victim.record.id, { verified: true })
      const pb = s.client()
      const { code, codeVerifier } = await realCode(pb, account)
      const outcome = await exchange(pb, 'oidc', code, codeVerifier).then((r) => r.record.id as string, (e) => e.status as number)
      // Either refused (no verified email for the new account) or a different account — never the victim's.
      expect(outcome === 400 || outcome !== victim.record.id).toBe(true)
      expect(await su.collection('_externalAuths').getFullList({ filter: su.filter('recordRef = {:id}', { id: victim.record.id }) })).toEqual([])
      await s.client().collection('users').authWithPassword(email, PASSWORD) // untouched
    }
  })

  it('_superusers cannot be signed up through OAuth2', async () => {
    const pb = s.client()
    const { code, codeVerifier } = await realCode(pb, 'frank', '_superusers')
    const f = await failure(exchange(pb, 'oidc', code, codeVerifier, '_superusers'))
    expect(f.status).toBe(400)
    expect((await su.collection('_superusers').getList(1, 1, { filter: 'email = "frank@example.com"' })).totalItems).toBe(0)
  })
})

describe('/api/oauth2-redirect relay', () => {
  it('unknown state → error page, and no @oauth2 event reaches any other client', async () => {
    const pb = s.client()
    const events: unknown[] = []
    await pb.realtime.subscribe('@oauth2', (e) => events.push(e))
    for (const url of [`/api/oauth2-redirect?state=unknown-client&code=abc`, `/api/oauth2-redirect?code=abc`]) {
      const res = await fetch(s.url + url)
      expect(res.status).toBe(400)
      expect(res.headers.get('content-security-policy')).toContain("default-src 'none'")
      expect(await res.text()).not.toContain('abc')
    }
    const form = await fetch(`${s.url}/api/oauth2-redirect`, { method: 'POST', body: new URLSearchParams({ state: 'nope', code: 'abc' }) })
    expect(form.status).toBe(400)
    await new Promise((r) => setTimeout(r, 200))
    expect(events).toEqual([])
    await pb.realtime.unsubscribe()
  })

  it('a waiting client that connected from another IP gets nothing', async () => {
    const sent: string[] = []
    const client = s.app.hub.connect({ send: (name: string) => { sent.push(name); return true }, close: () => {} }, '10.9.9.9')
    s.app.hub.setSubscriptions(client.id, ['@oauth2'], null, '10.9.9.9')
    const res = await fetch(`${s.url}/api/oauth2-redirect?state=${client.id}&code=abc`)
    expect(res.status).toBe(400)
    expect(sent).toEqual(['PB_CONNECT'])
    s.app.hub.disconnect(client.id)
  })
})
