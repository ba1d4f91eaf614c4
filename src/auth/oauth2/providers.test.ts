// Provider entries → configurations (presets, explicit endpoints, URL policy) and the stateless nonce.
import { describe, expect, it } from 'vitest'
import { defaultAuthOptions } from '../../core/collections/auth-defaults.ts'
import type { Collection } from '../../core/collections/types.ts'
import { oauth2Nonce, needsVerifier } from './auth-methods.ts'
import { configurationFor, expectsIdToken, findProvider, parseProvider } from './providers.ts'
import { verifiedEmail } from './user.ts'

describe('parseProvider', () => {
  it('fills presets: google is OIDC by discovery, github a profile-API provider, PKCE on by default', () => {
    const google = parseProvider({ name: 'google', clientId: 'id', clientSecret: 's' })!
    expect(google).toMatchObject({ kind: 'oidc', issuer: 'https://accounts.google.com', pkce: true, displayName: 'Google' })
    expect(expectsIdToken(google)).toBe(true)
    const github = parseProvider({ name: 'github', clientId: 'id', pkce: null })!
    expect(github).toMatchObject({ kind: 'profile', tokenURL: 'https://github.com/login/oauth/access_token', pkce: true })
    expect(expectsIdToken(github)).toBe(false)
    expect(needsVerifier({ ...github, pkce: false })).toBe(false)
  })

  it('ignores unknown provider names and non-objects', () => {
    expect(parseProvider({ name: 'myspace' })).toBeUndefined()
    expect(parseProvider('oidc')).toBeUndefined()
    expect(findProvider([{ name: 'x' }, { name: 'oidc2', clientId: 'a', extra: { issuer: 'https://idp.example' } }], 'oidc2')?.issuer).toBe('https://idp.example')
  })

  it('explicit OIDC endpoints without issuer + jwksURL do not ask for an (unverifiable) ID token', () => {
    const p = parseProvider({ name: 'oidc', clientId: 'a', authURL: 'https://idp.example/auth', tokenURL: 'https://idp.example/token', userInfoURL: 'https://idp.example/me' })!
    expect(p.scopes).toEqual(['email', 'profile'])
    const q = parseProvider({ name: 'oidc', clientId: 'a', authURL: 'https://idp.example/auth', tokenURL: 'https://idp.example/token', extra: { issuer: 'https://idp.example', jwksURL: 'https://idp.example/jwks' } })!
    expect(expectsIdToken(q)).toBe(true)
  })
})

describe('configurationFor', () => {
  it('refuses plain http except on loopback hosts, and a missing clientId', async () => {
    const explicit = { authURL: 'http://idp.internal/auth', tokenURL: 'http://idp.internal/token' }
    await expect(configurationFor(parseProvider({ name: 'oidc', clientId: 'a', ...explicit })!)).rejects.toThrow(/https/)
    await expect(configurationFor(parseProvider({ name: 'oidc', authURL: 'https://x/a', tokenURL: 'https://x/t' })!)).rejects.toThrow(/clientId/)
    const local = await configurationFor(parseProvider({ name: 'oidc', clientId: 'a', authURL: 'http://127.0.0.1:1/auth', tokenURL: 'http://127.0.0.1:1/token' })!)
    expect(local.serverMetadata().token_endpoint).toBe('http://127.0.0.1:1/token')
  })
})

describe('oauth2Nonce', () => {
  const c = { id: 'c1', auth: defaultAuthOptions() } as Collection
  it('is deterministic per (collection secret, provider, verifier) and differs otherwise', () => {
    const v = 'v'.repeat(43)
    expect(oauth2Nonce(c, 'oidc', v)).toBe(oauth2Nonce(c, 'oidc', v))
    expect(oauth2Nonce(c, 'oidc', v)).not.toBe(oauth2Nonce(c, 'oidc', 'w'.repeat(43)))
    expect(oauth2Nonce(c, 'oidc', v)).not.toBe(oauth2Nonce(c, 'oidc2', v))
    const other = { id: 'c1', auth: defaultAuthOptions() } as Collection // another secret
    expect(oauth2Nonce(c, 'oidc', v)).not.toBe(oauth2Nonce(other, 'oidc', v))
  })
})

describe('verifiedEmail', () => {
  it('keeps an email only when the provider says it is verified', () => {
    expect(verifiedEmail('a@b.c', true)).toBe('a@b.c')
    expect(verifiedEmail('a@b.c', 'true')).toBe('a@b.c')
    for (const v of [false, 'false', undefined, null, 1, 'yes']) expect(verifiedEmail('a@b.c', v)).toBe('')
  })
})
