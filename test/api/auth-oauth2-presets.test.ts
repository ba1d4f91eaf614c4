// OAuth2 provider presets (PocketBase's apple, microsoft, discord, gitlab, facebook, twitter, twitch, spotify,
// github) against a fake provider API each: the profile is read, and an email is used only when the
// provider verified it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type PocketBase from 'pocketbase'
import { startServer, type TestServer } from '../support/server.ts'
import { forgeIdToken, startFakeIssuer, type FakeIssuer } from '../support/oidc.ts'

let s: TestServer
let su: PocketBase
let fake: FakeIssuer
let redirectURL: string

beforeAll(async () => {
  s = await startServer()
  su = await s.superuser()
  fake = await startFakeIssuer()
  redirectURL = `${s.url}/api/oauth2-redirect`
  const members = await su.collections.create({ name: 'members', type: 'auth', createRule: '', fields: [{ name: 'name', type: 'text' }], oauth2: { enabled: true, mappedFields: { name: 'name' }, providers: [] } })
  // Providers without a (verified) email can sign up only where the email is optional (as in PocketBase).
  await su.collections.update('members', { fields: members.fields.map((f: { name: string }) => (f.name === 'email' ? { ...f, required: false } : f)) })
})
afterAll(async () => {
  await s?.close()
  await fake?.close()
})

interface Case { name: string; profilePath: string; profile: unknown; expect: { id: string; name: string; email: string }; extraRoutes?: Record<string, unknown>; header?: [string, string] }

const CASES: Case[] = [
  { name: 'discord', profilePath: '/discord/me', profile: { id: '81', username: 'dee', global_name: 'Dee', email: 'dee@example.com', verified: true, avatar: 'abc' }, expect: { id: '81', name: 'Dee', email: 'dee@example.com' } },
  { name: 'gitlab', profilePath: '/gitlab/user', profile: { id: 7, name: 'Gil', username: 'gil', email: 'gil@example.com', confirmed_at: '2024-01-01T00:00:00Z' }, expect: { id: '7', name: 'Gil', email: 'gil@example.com' } },
  { name: 'facebook', profilePath: '/fb/me', profile: { id: '1001', name: 'Faye', email: 'faye@example.com', picture: { data: { url: 'https://127.0.0.1/p.png' } } }, expect: { id: '1001', name: 'Faye', email: 'faye@example.com' } },
  { name: 'twitter', profilePath: '/x/me', profile: { data: { id: '44', name: 'Xena', username: 'xena' } }, expect: { id: '44', name: 'Xena', email: '' } },
  { name: 'twitch', profilePath: '/helix/users', profile: { data: [{ id: '55', login: 'tw', display_name: 'Twi', email: 'twi@example.com' }] }, expect: { id: '55', name: 'Twi', email: 'twi@example.com' }, header: ['client-id', 'twitch-client'] },
  { name: 'spotify', profilePath: '/spotify/me', profile: { id: 'spo', display_name: 'Spo', email: 'spo@example.com' }, expect: { id: 'spo', name: 'Spo', email: '' } },
  { name: 'microsoft', profilePath: '/graph/me', profile: { id: 'ms-1', displayName: 'Ms', mail: 'ceo@victim.example', userPrincipalName: 'ms@tenant' }, expect: { id: 'ms-1', name: 'Ms', email: '' } },
  {
    name: 'github', profilePath: '/user', profile: { id: 9, login: 'octo', name: 'Octo' },
    extraRoutes: { '/user/emails': [{ email: 'octo@example.com', primary: true, verified: true }] }, expect: { id: '9', name: 'Octo', email: 'octo@example.com' },
  },
]

async function login(provider: string) {
  const pb = s.client()
  const p = (await pb.collection('members').listAuthMethods()).oauth2.providers.find((x) => x.name === provider)!
  return pb.collection('members').authWithOAuth2Code(provider, `code-${provider}-${Math.random()}`, p.codeVerifier, redirectURL)
}

describe('OAuth2 presets', () => {
  it('every preset is listed by meta/oauth2-providers', async () => {
    const names = (await su.send('/api/collections/meta/oauth2-providers', {})).map((p: { name: string }) => p.name)
    for (const n of ['apple', 'microsoft', 'discord', 'gitlab', 'facebook', 'twitter', 'twitch', 'spotify', 'github', 'google']) expect(names).toContain(n)
  })

  for (const c of CASES) {
    it(`${c.name}: reads the profile API and trusts only verified emails`, async () => {
      const clientId = c.header?.[1] ?? `${c.name}-client`
      await su.collections.update('members', { oauth2: { enabled: true, mappedFields: { name: 'name' }, providers: [{ name: c.name, clientId, clientSecret: 'secret', authURL: `${fake.issuer}/auth`, tokenURL: `${fake.issuer}/token`, userInfoURL: `${fake.issuer}${c.profilePath}` }] } })
      fake.respond = async () => ({ access_token: `at-${c.name}`, token_type: 'bearer', expires_in: 3600 })
      fake.routes[c.profilePath] = c.profile
      Object.assign(fake.routes, c.extraRoutes ?? {})
      const res = await login(c.name)
      expect(res.meta).toMatchObject({ id: c.expect.id, name: c.expect.name, email: c.expect.email, isNew: true })
      expect(res.record).toMatchObject({ name: c.expect.name, verified: !!c.expect.email })
      if (c.expect.email) expect(res.record.email).toBe(c.expect.email)
      const req = fake.routeRequests.filter((r) => r.path === c.profilePath).at(-1)!
      expect(req.headers.authorization).toBe(`Bearer at-${c.name}`)
      if (c.header) expect(req.headers[c.header[0]]).toBe(c.header[1])
      // The same provider account logs into the same record next time.
      expect((await login(c.name)).record.id).toBe(res.record.id)
    })
  }

  it('apple: an OIDC provider whose ID token carries the verified email', async () => {
    await su.collections.update('members', { oauth2: { enabled: true, providers: [{ name: 'apple', clientId: fake.clientId, clientSecret: 'secret', extra: { issuer: fake.issuer } }] } })
    fake.userinfo = { sub: 'apple-1' }
    const pb = s.client()
    const p = (await pb.collection('members').listAuthMethods()).oauth2.providers.find((x) => x.name === 'apple')!
    const nonce = new URL(p.authURL).searchParams.get('nonce')
    fake.respond = async () => ({ access_token: 'at-apple', token_type: 'bearer', id_token: await forgeIdToken(fake, { sub: 'apple-1', email: 'ap@example.com', email_verified: 'true', nonce }) })
    const res = await pb.collection('members').authWithOAuth2Code('apple', 'apple-code', p.codeVerifier, redirectURL)
    expect(res.record).toMatchObject({ email: 'ap@example.com', verified: true })
  })
})
