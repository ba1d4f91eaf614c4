// The `oauth2` part of auth-methods: per provider a fresh state, PKCE pair and an authURL ending in
// `&redirect_uri=` (PocketBase §4.3), plus the stateless nonce that binds the ID token to the verifier.
import { processLogger } from '../../observability/logger.ts'
import { createHmac } from 'node:crypto'
import * as oidc from 'openid-client'
import type { Collection } from '../../core/collections/types.ts'
import { randomString } from '../../core/ids.ts'
import { configurationFor, expectsIdToken, parseProvider, type ProviderConfig } from './providers.ts'

export interface AuthMethodsProvider {
  name: string
  displayName: string
  state: string
  authURL: string
  /** Legacy (< v0.23) copy of authURL. */
  authUrl: string
  codeVerifier: string
  codeChallenge: string
  codeChallengeMethod: string
}

/**
 * The OIDC nonce, derived instead of stored: HMAC(collection auth-token secret, provider ‖ verifier).
 * The client gets the verifier from auth-methods and sends it back to auth-with-oauth2, where the
 * server recomputes the nonce and requires it in the ID token — so a token minted for another
 * authorization request (another verifier) is rejected, with no server-side session. Rotating the
 * secret (e.g. an authRule change) only fails logins that are in flight at that moment.
 */
export function oauth2Nonce(c: Collection, provider: string, codeVerifier: string): string {
  return createHmac('sha256', c.auth!.authToken.secret)
    .update(`basalt-oauth2-nonce\0${c.id}\0${provider}\0${codeVerifier}`)
    .digest('base64url')
}

/** A verifier is always issued when PKCE is on or an ID token (nonce) is expected. */
export function needsVerifier(p: ProviderConfig): boolean {
  return p.pkce || expectsIdToken(p)
}

async function describe(c: Collection, p: ProviderConfig): Promise<AuthMethodsProvider> {
  const config = await configurationFor(p)
  const state = randomString(30)
  const codeVerifier = needsVerifier(p) ? oidc.randomPKCECodeVerifier() : ''
  const codeChallenge = p.pkce ? await oidc.calculatePKCECodeChallenge(codeVerifier) : ''
  const params: Record<string, string> = { response_type: 'code', scope: p.scopes.join(' '), state }
  if (p.pkce) Object.assign(params, { code_challenge: codeChallenge, code_challenge_method: 'S256' })
  if (expectsIdToken(p)) params.nonce = oauth2Nonce(c, p.name, codeVerifier)
  // The client appends its own redirect URL (the SDK: <baseURL>/api/oauth2-redirect).
  const authURL = `${oidc.buildAuthorizationUrl(config, params).href}&redirect_uri=`
  return {
    name: p.name, displayName: p.displayName, state, authURL, authUrl: authURL,
    codeVerifier, codeChallenge, codeChallengeMethod: p.pkce ? 'S256' : '',
  }
}

/**
 * Providers of `c` ready for a login. A provider whose discovery fails or whose configuration is
 * invalid is left out (and logged) rather than failing auth-methods for every other login method.
 */
export async function oauth2AuthMethods(c: Collection): Promise<{ enabled: boolean; providers: AuthMethodsProvider[] }> {
  const o = c.auth!.oauth2
  if (!o.enabled) return { enabled: false, providers: [] }
  const parsed = o.providers.map(parseProvider).filter((p): p is ProviderConfig => !!p)
  const settled = await Promise.allSettled(parsed.map((p) => describe(c, p)))
  const providers: AuthMethodsProvider[] = []
  settled.forEach((r, i) => {
    if (r.status === 'fulfilled') providers.push(r.value)
    else processLogger().warn(`oauth2: provider ${parsed[i].name} of ${c.name} is unavailable: ${(r.reason as Error)?.message ?? r.reason}`)
  })
  return { enabled: true, providers }
}
