// OAuth2 / OpenID Connect providers: the collection's `oauth2.providers[]` entries parsed against presets
// (`oidc*`, `google`, `apple` by discovery; `github`, `discord`, `gitlab`, `facebook`, `twitter`, `twitch`,
// `spotify`, `microsoft` through their profile APIs — src/auth/oauth2/profiles.ts) and turned into cached
// openid-client configurations.
//
// Provider entry (collection option `oauth2.providers[]`, PocketBase's shape):
//   {name, clientId, clientSecret, displayName?, pkce?, authURL?, tokenURL?, userInfoURL?,
//    extra?: {issuer?, jwksURL?, scopes?, tokenAuthMethod?}}
// - oidc*: `extra.issuer` → discovery (`<issuer>/.well-known/openid-configuration`); or explicit
//   authURL/tokenURL/userInfoURL (+ `extra.issuer` and `extra.jwksURL` to accept ID tokens; without
//   them the `openid` scope is not requested and the user comes from userInfoURL only).
// - google, apple: issuer discovery. The profile presets: plain OAuth2 + the provider's profile API; their
//   URLs may be overridden (authURL/tokenURL/userInfoURL), e.g. for self-hosted GitLab.
import * as oidc from 'openid-client'
import { PROFILE_PRESETS } from './profiles.ts'

/** `oidc`: ID token + userinfo; `profile`: plain OAuth2, the user read from the preset's profile API. */
export type ProviderKind = 'oidc' | 'profile'

export interface ProviderConfig {
  name: string
  kind: ProviderKind
  displayName: string
  clientId: string
  clientSecret: string
  /** PKCE (S256) on the authorization request and the code exchange; default true. */
  pkce: boolean
  issuer: string
  authURL: string
  tokenURL: string
  userInfoURL: string
  jwksURL: string
  scopes: string[]
  tokenAuthMethod: 'client_secret_basic' | 'client_secret_post' | ''
}

/** A provider that is configured but unusable (bad URL, missing client id); never shown to clients. */
export class ProviderConfigError extends Error {}

/** Outgoing provider requests give up after this long (PocketBase: 30 s). */
export const PROVIDER_TIMEOUT_SECONDS = 30

const OIDC_SCOPES = ['openid', 'email', 'profile']

interface Preset { kind: ProviderKind; displayName: string; issuer?: string; authURL?: string; tokenURL?: string; userInfoURL?: string; scopes: string[] }

const PRESETS: Record<string, Preset> = {
  oidc: { kind: 'oidc', displayName: 'OIDC', scopes: OIDC_SCOPES },
  oidc2: { kind: 'oidc', displayName: 'OIDC', scopes: OIDC_SCOPES },
  oidc3: { kind: 'oidc', displayName: 'OIDC', scopes: OIDC_SCOPES },
  google: { kind: 'oidc', displayName: 'Google', issuer: 'https://accounts.google.com', scopes: OIDC_SCOPES },
  apple: { kind: 'oidc', displayName: 'Apple', issuer: 'https://appleid.apple.com', scopes: ['openid', 'email', 'name'] },
  ...Object.fromEntries(Object.entries(PROFILE_PRESETS).map(([name, p]) => [name, {
    kind: 'profile' as const, displayName: p.displayName, authURL: p.authURL, tokenURL: p.tokenURL, userInfoURL: p.userInfoURL, scopes: p.scopes,
  }])),
}

export const PROVIDER_NAMES = Object.freeze(Object.keys(PRESETS))

/** `[{name, displayName}]` of every supported provider (for `meta/oauth2-providers`). */
export function providerCatalog(): { name: string; displayName: string; logo: string }[] {
  return Object.entries(PRESETS).map(([name, p]) => ({ name, displayName: p.displayName, logo: '' }))
}

const str = (v: unknown) => (typeof v === 'string' ? v.trim() : '')

/** Parses one stored provider entry; undefined for unknown names (ignored, never an error for other providers). */
export function parseProvider(raw: unknown): ProviderConfig | undefined {
  if (!raw || typeof raw !== 'object') return undefined
  const r = raw as Record<string, unknown>
  const preset = PRESETS[str(r.name)]
  if (!preset) return undefined
  const extra = (r.extra && typeof r.extra === 'object' ? r.extra : {}) as Record<string, unknown>
  const issuers = Array.isArray(extra.issuers) ? extra.issuers : []
  const explicit = { authURL: str(r.authURL), tokenURL: str(r.tokenURL), userInfoURL: str(r.userInfoURL) }
  const p: ProviderConfig = {
    name: str(r.name), kind: preset.kind,
    displayName: str(r.displayName) || preset.displayName,
    clientId: str(r.clientId), clientSecret: typeof r.clientSecret === 'string' ? r.clientSecret : '',
    pkce: r.pkce !== false, // null/undefined → on: PKCE costs nothing and closes code injection
    issuer: str(extra.issuer) || str(issuers[0]) || preset.issuer || '',
    authURL: explicit.authURL || preset.authURL || '',
    tokenURL: explicit.tokenURL || preset.tokenURL || '',
    userInfoURL: explicit.userInfoURL || preset.userInfoURL || '',
    jwksURL: str(extra.jwksURL),
    scopes: parseScopes(extra.scopes) ?? preset.scopes,
    tokenAuthMethod: extra.tokenAuthMethod === 'client_secret_basic' || extra.tokenAuthMethod === 'client_secret_post' ? extra.tokenAuthMethod : '',
  }
  // Explicit OIDC endpoints without a key set cannot verify an ID token: don't ask for one.
  if (p.kind === 'oidc' && usesExplicitEndpoints(p) && !(p.issuer && p.jwksURL)) p.scopes = p.scopes.filter((s) => s !== 'openid')
  return p
}

function parseScopes(v: unknown): string[] | undefined {
  const list = typeof v === 'string' ? v.split(/\s+/) : Array.isArray(v) ? v.map(String) : undefined
  const clean = list?.map((s) => s.trim()).filter(Boolean)
  return clean?.length ? clean : undefined
}

/** The provider named `name` in the collection's oauth2 options. */
export function findProvider(providers: unknown[], name: string): ProviderConfig | undefined {
  for (const raw of providers) {
    const p = parseProvider(raw)
    if (p && p.name === name) return p
  }
  return undefined
}

/** An ID token is expected (and its nonce, issuer, audience and signature checked) iff `openid` is requested. */
export function expectsIdToken(p: ProviderConfig): boolean {
  return p.kind === 'oidc' && p.scopes.includes('openid')
}

function usesExplicitEndpoints(p: ProviderConfig): boolean {
  return p.kind === 'oidc' && !!(p.authURL || p.tokenURL)
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]'])

/**
 * Provider URLs are superuser configuration (trusted, unlike avatar URLs from user data), but must be
 * https; plain http is accepted only on loopback hosts, for local development and tests.
 */
function checkUrls(urls: string[]): { insecure: boolean } {
  let insecure = false
  for (const u of urls.filter(Boolean)) {
    let url: URL
    try { url = new URL(u) } catch { throw new ProviderConfigError(`invalid provider URL ${JSON.stringify(u)}`) }
    if (url.protocol === 'https:') continue
    if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) { insecure = true; continue }
    throw new ProviderConfigError(`provider URLs must use https: ${JSON.stringify(u)}`)
  }
  return { insecure }
}

function clientAuth(p: ProviderConfig, supported?: string[]): oidc.ClientAuth {
  // No secret = a public client: PKCE (on by default) is then what protects the code.
  if (!p.clientSecret) return oidc.None()
  const method = p.tokenAuthMethod || (supported?.includes('client_secret_basic') ? 'client_secret_basic' : 'client_secret_post')
  return method === 'client_secret_basic' ? oidc.ClientSecretBasic(p.clientSecret) : oidc.ClientSecretPost(p.clientSecret)
}

async function buildConfiguration(p: ProviderConfig): Promise<oidc.Configuration> {
  if (!p.clientId) throw new ProviderConfigError(`provider ${p.name}: missing clientId`)
  const { insecure } = checkUrls([p.issuer, p.authURL, p.tokenURL, p.userInfoURL, p.jwksURL])
  const execute = insecure ? [oidc.allowInsecureRequests] : []
  let config: oidc.Configuration
  if (p.kind === 'oidc' && !usesExplicitEndpoints(p)) {
    if (!p.issuer) throw new ProviderConfigError(`provider ${p.name}: set extra.issuer or authURL/tokenURL`)
    // Discovery checks that the document's `issuer` equals the configured one (no issuer mix-up).
    config = await oidc.discovery(new URL(p.issuer), p.clientId, { client_secret: p.clientSecret }, clientAuth(p), { timeout: PROVIDER_TIMEOUT_SECONDS, execute })
    const meta = config.serverMetadata()
    if (meta.token_endpoint_auth_methods_supported || p.tokenAuthMethod) {
      config = new oidc.Configuration(meta, p.clientId, { client_secret: p.clientSecret }, clientAuth(p, meta.token_endpoint_auth_methods_supported))
      for (const fn of execute) fn(config)
    }
  } else {
    if (!p.authURL || !p.tokenURL) throw new ProviderConfigError(`provider ${p.name}: authURL and tokenURL are required`)
    const server: oidc.ServerMetadata = {
      issuer: p.issuer || new URL(p.authURL).origin,
      authorization_endpoint: p.authURL, token_endpoint: p.tokenURL,
      ...(p.userInfoURL && { userinfo_endpoint: p.userInfoURL }),
      ...(p.jwksURL && { jwks_uri: p.jwksURL }),
    }
    config = new oidc.Configuration(server, p.clientId, { client_secret: p.clientSecret }, clientAuth(p))
    for (const fn of execute) fn(config)
  }
  config.timeout = PROVIDER_TIMEOUT_SECONDS
  // openid-client trusts TLS for ID tokens from the token endpoint by default; we verify the JWS
  // signature against the provider's keys anyway (ASVS 10: signature, iss, aud, nonce all checked).
  if (expectsIdToken(p)) {
    if (!config.serverMetadata().jwks_uri) throw new ProviderConfigError(`provider ${p.name}: no jwks_uri to verify ID tokens`)
    oidc.enableNonRepudiationChecks(config)
  }
  return config
}

const CACHE_TTL_MS = 60 * 60_000
/** A failed discovery is remembered briefly, so an unreachable issuer can't make every auth-methods call wait 30 s. */
const FAILURE_TTL_MS = 30_000
const cache = new Map<string, { until: number; config: Promise<oidc.Configuration> }>()

/** The openid-client configuration of `p`; discovery results are cached for an hour, failures for 30 s. */
export function configurationFor(p: ProviderConfig, now = Date.now()): Promise<oidc.Configuration> {
  const key = JSON.stringify(p)
  const hit = cache.get(key)
  if (hit && now < hit.until) return hit.config
  const config = buildConfiguration(p)
  const entry = { until: now + CACHE_TTL_MS, config }
  cache.set(key, entry)
  config.catch(() => { entry.until = Math.min(entry.until, Date.now() + FAILURE_TTL_MS) })
  if (cache.size > 200) cache.delete(cache.keys().next().value!)
  return config
}
