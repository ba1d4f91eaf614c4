// The OAuth2 user behind a token response: OIDC (validated ID token claims + userinfo for the same
// `sub`) or a profile preset's API (GitHub, Discord, GitLab, … — src/auth/oauth2/profiles.ts).
import * as oidc from 'openid-client'
import { formatDate } from '../../core/clock.ts'
import type { ProviderConfig } from './providers.ts'
import { PROFILE_PRESETS } from './profiles.ts'

export interface OAuth2User {
  /** The provider's stable subject (`sub`, GitHub's numeric id): the only identity key. */
  id: string
  name: string
  username: string
  /** Only an address the provider says is verified; '' otherwise (never used for linking then). */
  email: string
  avatarURL: string
  accessToken: string
  refreshToken: string
  /** Access token expiry, PocketBase date format, '' when unknown. */
  expiry: string
  rawUser: Record<string, unknown>
}

type Tokens = Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>

const s = (v: unknown) => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '')

/**
 * `email_verified` is the provider's claim (OWASP API10: consume it strictly): true or "true" only.
 * Anything else means the address may belong to someone else.
 */
export function verifiedEmail(email: unknown, verified: unknown): string {
  const e = s(email).trim()
  return e && (verified === true || verified === 'true') ? e : ''
}

function common(tokens: Tokens, now: Date) {
  const expiresIn = tokens.expiresIn()
  return {
    accessToken: tokens.access_token,
    refreshToken: s(tokens.refresh_token),
    expiry: expiresIn !== undefined ? formatDate(new Date(now.getTime() + expiresIn * 1000)) : '',
  }
}

async function oidcUser(config: oidc.Configuration, tokens: Tokens, now: Date): Promise<OAuth2User> {
  // Present only when an ID token was expected, and then already checked by openid-client:
  // signature (provider JWKS), iss, aud, exp/iat, nonce. Its `sub` is authoritative.
  const claims = tokens.claims() as Record<string, unknown> | undefined
  let info: Record<string, unknown> = {}
  if (config.serverMetadata().userinfo_endpoint) {
    // userinfo must describe the same subject as the ID token (OIDC Core 5.3.2).
    info = await oidc.fetchUserInfo(config, tokens.access_token, claims?.sub ? String(claims.sub) : oidc.skipSubjectCheck) as Record<string, unknown>
  }
  const raw = { ...(claims ?? {}), ...info }
  for (const k of ['aud', 'exp', 'iat', 'nbf', 'nonce', 'at_hash', 'c_hash', 'auth_time', 'azp', 'sid']) if (!(k in info)) delete raw[k]
  return {
    id: s(claims?.sub ?? info.sub),
    name: s(raw.name),
    username: s(raw.preferred_username) || s(raw.nickname),
    email: verifiedEmail(raw.email, raw.email_verified),
    avatarURL: s(raw.picture),
    rawUser: raw,
    ...common(tokens, now),
  }
}

/** A profile preset's user: its profile API read with the access token (src/auth/oauth2/profiles.ts). */
async function profileUser(config: oidc.Configuration, p: ProviderConfig, tokens: Tokens, now: Date): Promise<OAuth2User> {
  const fetchJson = async (url: string, headers: Record<string, string> = {}) => {
    const res = await oidc.fetchProtectedResource(config, tokens.access_token, new URL(url), 'GET', undefined, new Headers({ accept: 'application/json', ...headers }))
    if (!res.ok) throw new Error(`${p.name} ${url}: HTTP ${res.status}`)
    return res.json()
  }
  const profile = await PROFILE_PRESETS[p.name].read(fetchJson, p.userInfoURL, p.clientId)
  return {
    id: profile.id, name: profile.name, username: profile.username,
    email: profile.email ? verifiedEmail(profile.email, true) : '',
    avatarURL: profile.avatarURL, rawUser: profile.raw, ...common(tokens, now),
  }
}

export function fetchOAuth2User(p: ProviderConfig, config: oidc.Configuration, tokens: Tokens, now: Date): Promise<OAuth2User> {
  return p.kind === 'profile' ? profileUser(config, p, tokens, now) : oidcUser(config, tokens, now)
}
