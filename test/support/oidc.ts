// OAuth2 test doubles: a real OpenID provider (oidc-provider, in-process, dev login form), a fake issuer
// whose token endpoint returns ID tokens the test forges, and a cookie-keeping "browser" that walks
// the provider's login until it is redirected back to Basalt.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import * as jose from 'jose'
import Provider from 'oidc-provider'

export interface Account { email?: string; email_verified?: boolean; name?: string; preferred_username?: string; picture?: string }

export interface RealProvider { issuer: string; clientId: string; clientSecret: string; accounts: Record<string, Account>; close(): Promise<void> }

async function listen(handler: http.RequestListener): Promise<{ server: http.Server; url: string }> {
  const server = http.createServer(handler)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }
}

const close = (server: http.Server) => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()) })

export async function signingKey(kid: string) {
  const { privateKey, publicKey } = await jose.generateKeyPair('RS256', { extractable: true })
  return { privateKey, kid, publicJwk: { ...(await jose.exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' }, privateJwk: { ...(await jose.exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' } }
}

/** oidc-provider with clients `basalt` and `other`; any login name is an account (claims from `accounts`). */
export async function startRealProvider(redirectUris: string[], accounts: Record<string, Account>): Promise<RealProvider> {
  let provider: { callback(): http.RequestListener } | undefined
  const { server, url } = await listen((req, res) => provider!.callback()(req, res))
  const key = await signingKey('real-1')
  const clientSecret = 'real-provider-client-secret-0123456789'
  const client = (id: string) => ({ client_id: id, client_secret: clientSecret, redirect_uris: redirectUris, grant_types: ['authorization_code'], response_types: ['code'] })
  provider = new Provider(url, {
    clients: [client('basalt'), client('other')],
    jwks: { keys: [key.privateJwk] },
    cookies: { keys: ['oidc-test-cookie-key'] },
    pkce: { required: () => true },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'preferred_username', 'picture'] },
    features: { devInteractions: { enabled: true } },
    ttl: { AuthorizationCode: 60, AccessToken: 600, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600 },
    findAccount: async (_ctx: unknown, id: string) => ({ accountId: id, claims: async () => ({ sub: id, ...(accounts[id] ?? {}) }) }),
    // First-party client: grant every requested scope, so only the login form stands in the way.
    loadExistingGrant: async (ctx: any) => {
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId })
      grant.addOIDCScope('openid email profile')
      await grant.save()
      return grant
    },
  })
  return { issuer: url, clientId: 'basalt', clientSecret, accounts, close: () => close(server) }
}

export interface FakeIssuer {
  issuer: string
  clientId: string
  /** Builds the token response for the next exchange (forge ID tokens here). */
  respond: (params: URLSearchParams) => Promise<Record<string, unknown>>
  userinfo: Record<string, unknown>
  /** Extra JSON GET routes (e.g. a fake api.github.com `/user`, `/user/emails`). */
  routes: Record<string, unknown>
  /** Headers of each request to a `routes` path (e.g. to check a provider's required `Client-Id`). */
  routeRequests: { path: string; headers: Record<string, string | string[] | undefined> }[]
  tokenRequests: URLSearchParams[]
  key: Awaited<ReturnType<typeof signingKey>>
  close(): Promise<void>
}

/** A discovery-conformant issuer whose token endpoint answers whatever `respond` returns. */
export async function startFakeIssuer(): Promise<FakeIssuer> {
  const key = await signingKey('fake-1')
  const fake = { clientId: 'fake-client', routeRequests: [] as FakeIssuer['routeRequests'], tokenRequests: [] as URLSearchParams[], userinfo: {} as Record<string, unknown>, routes: {} as Record<string, unknown>, key } as FakeIssuer
  const { server, url } = await listen(async (req, res) => {
    const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
    const path = new URL(req.url!, url).pathname
    if (path === '/.well-known/openid-configuration') {
      return json(200, {
        issuer: url, authorization_endpoint: `${url}/auth`, token_endpoint: `${url}/token`, userinfo_endpoint: `${url}/userinfo`,
        jwks_uri: `${url}/jwks`, response_types_supported: ['code'], subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'], token_endpoint_auth_methods_supported: ['client_secret_post'],
      })
    }
    if (path === '/jwks') return json(200, { keys: [key.publicJwk] })
    if (path === '/userinfo') return json(200, fake.userinfo)
    if (path in fake.routes) {
      fake.routeRequests.push({ path, headers: req.headers })
      return json(200, fake.routes[path])
    }
    if (path === '/token') {
      let text = ''
      for await (const chunk of req) text += chunk
      const params = new URLSearchParams(text)
      fake.tokenRequests.push(params)
      return json(200, await fake.respond(params))
    }
    json(404, {})
  })
  fake.issuer = url
  fake.close = () => close(server)
  return fake
}

/** An RS256 ID token with the given claims (defaults: valid for the fake issuer and client). */
export async function forgeIdToken(fake: FakeIssuer, claims: Record<string, unknown>, opts: { key?: jose.CryptoKey | Uint8Array; kid?: string; alg?: string } = {}) {
  const now = Math.floor(Date.now() / 1000)
  const payload = { iss: fake.issuer, aud: fake.clientId, iat: now, exp: now + 300, ...claims }
  if (opts.alg === 'none') {
    const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url')
    return `${enc({ alg: 'none', typ: 'JWT' })}.${enc(payload)}.`
  }
  return new jose.SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid: opts.kid ?? fake.key.kid }).sign(opts.key ?? fake.key.privateKey)
}

/**
 * Follows `url` like a browser (cookies, redirects, the dev login form as `account`) until the provider
 * redirects to a URL starting with `stopAt`; returns that URL (with `code`, `state`, `iss`).
 */
export async function authorizeAs(url: string, account: string, stopAt: string): Promise<URL> {
  const jar = new Map<string, string>()
  let next = url
  let init: { method: string; body?: string } = { method: 'GET' }
  for (let hop = 0; hop < 20; hop++) {
    const headers: Record<string, string> = { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') }
    if (init.body) headers['content-type'] = 'application/x-www-form-urlencoded'
    const res = await fetch(next, { ...init, headers, redirect: 'manual' })
    for (const c of res.headers.getSetCookie()) {
      const pair = c.split(';')[0]
      const i = pair.indexOf('=')
      jar.set(pair.slice(0, i), pair.slice(i + 1))
    }
    const location = res.headers.get('location')
    if (res.status >= 300 && res.status < 400 && location) {
      const target = new URL(location, next)
      if (target.href.startsWith(stopAt)) return target
      next = target.href
      init = { method: 'GET' }
      continue
    }
    const html = await res.text()
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1]
    if (res.status !== 200 || !action || !html.includes('name="login"')) throw new Error(`unexpected provider answer ${res.status}: ${html.slice(0, 300)}`)
    next = new URL(action.replace(/&amp;/g, '&'), next).href
    init = { method: 'POST', body: new URLSearchParams({ prompt: 'login', login: account, password: 'any' }).toString() }
  }
  throw new Error('too many redirects at the provider')
}

/** A plain HTTP server that counts requests (an SSRF target that must stay untouched). */
export async function startCounter() {
  const counter = { hits: 0, url: '', close: async () => {} }
  const { server, url } = await listen((_req, res) => { counter.hits++; res.writeHead(200, { 'content-type': 'image/png' }).end('png') })
  counter.url = url
  counter.close = () => close(server)
  return counter
}
