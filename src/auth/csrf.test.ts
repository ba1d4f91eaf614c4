// Unit tests for the CSRF helpers: HMAC-bound double submit, Origin/Referer matching, cookie parse/serialize.
import { describe, expect, it } from 'vitest'
import { isSameOrigin, mintCsrfToken, originOf, parseCookies, serializeCookie, verifyCsrfToken } from './csrf.ts'
import { mergeCookieSessions } from '../core/collections/collection-json.ts'

const SECRET = 'x'.repeat(50)

describe('CSRF tokens', () => {
  it('verifies only when header === cookie and the MAC matches secret + family', () => {
    const t = mintCsrfToken(SECRET, 'fam1')
    expect(t).toMatch(/^[\w-]+\.[\w-]+$/)
    expect(mintCsrfToken(SECRET, 'fam1')).not.toBe(t) // fresh nonce each time
    expect(verifyCsrfToken(SECRET, 'fam1', t, t)).toBe(true)
    expect(verifyCsrfToken(SECRET, 'fam2', t, t)).toBe(false) // bound to the session family
    expect(verifyCsrfToken('y'.repeat(50), 'fam1', t, t)).toBe(false)
    expect(verifyCsrfToken(SECRET, 'fam1', t, mintCsrfToken(SECRET, 'fam1'))).toBe(false) // header ≠ cookie
    expect(verifyCsrfToken(SECRET, 'fam1', t, undefined)).toBe(false)
    expect(verifyCsrfToken(SECRET, 'fam1', undefined, t)).toBe(false)
    expect(verifyCsrfToken(SECRET, 'fam1', [t] as unknown, t)).toBe(false)
  })

  it('rejects tampered and malformed tokens without throwing', () => {
    const t = mintCsrfToken(SECRET, 'f')
    const [nonce, mac] = t.split('.')
    for (const bad of ['', '.', 'abc', `.${mac}`, `${nonce}.`, `${nonce}x.${mac}`, `${nonce}.${mac.slice(1)}`, 'a'.repeat(10_000), `${nonce}.${mac}.x`]) {
      expect(verifyCsrfToken(SECRET, 'f', bad, bad)).toBe(false)
    }
  })
})

describe('isSameOrigin', () => {
  const base = { host: 'app.example.com', protocol: 'http', appURL: 'https://site.example.org/base/', secure: false }
  it('accepts our own origin and the app URL origin', () => {
    expect(isSameOrigin({ ...base, origin: 'http://app.example.com' })).toBe(true)
    expect(isSameOrigin({ ...base, origin: 'https://site.example.org' })).toBe(true)
    expect(isSameOrigin({ ...base, referer: 'http://app.example.com/some/page?x=1' })).toBe(true)
  })
  it('https://host is accepted behind a TLS proxy only for Secure sessions', () => {
    expect(isSameOrigin({ ...base, origin: 'https://app.example.com' })).toBe(false)
    expect(isSameOrigin({ ...base, secure: true, origin: 'https://app.example.com' })).toBe(true)
  })
  it('fails closed', () => {
    for (const origin of ['https://evil.example', 'null', '', 'http://app.example.com.evil.example', 'http://app.example.com:81', 'file:///x', 'javascript:alert(1)']) {
      expect(isSameOrigin({ ...base, origin }), origin).toBe(false)
    }
    expect(isSameOrigin({ ...base })).toBe(false) // neither Origin nor Referer
    // A present-but-bad Origin is not rescued by a good Referer.
    expect(isSameOrigin({ ...base, origin: 'null', referer: 'http://app.example.com/' })).toBe(false)
    expect(isSameOrigin({ ...base, origin: ['http://app.example.com', 'https://evil.example'] })).toBe(false)
    expect(isSameOrigin({ ...base, host: 'evil.example/@app.example.com', origin: 'http://evil.example' })).toBe(false)
  })
  it('originOf normalises and rejects non-http schemes', () => {
    expect(originOf('HTTP://Example.COM:80/a')).toBe('http://example.com')
    expect(originOf('ftp://example.com')).toBeNull()
    expect(originOf(42)).toBeNull()
  })
})

describe('cookies', () => {
  it('parses the first value per name and ignores junk', () => {
    const m = parseCookies('a=1; b=2; a=3; junk; =x; c=')
    expect(m.get('a')).toBe('1')
    expect(m.get('b')).toBe('2')
    expect(m.get('c')).toBe('')
    expect(parseCookies(undefined).size).toBe(0)
    expect(parseCookies('a=' + 'x'.repeat(5000)).has('a')).toBe(false)
  })
  it('serializes attributes and refuses injection', () => {
    expect(serializeCookie('__Host-s', 'v.1', { path: '/', maxAge: 60.7, httpOnly: true, secure: true, sameSite: 'Lax' }))
      .toBe('__Host-s=v.1; Path=/; Max-Age=60; SameSite=Lax; HttpOnly; Secure')
    expect(() => serializeCookie('s', 'v; Domain=evil', { path: '/', maxAge: 1, httpOnly: true, secure: false, sameSite: 'Lax' })).toThrow()
    expect(() => serializeCookie('s', 'v', { path: '/a;b', maxAge: 1, httpOnly: true, secure: false, sameSite: 'Lax' })).toThrow()
  })
})

describe('cookieSessions options', () => {
  it('defaults are off/secure; only sane values are taken (users cannot set what they cannot validate)', () => {
    expect(mergeCookieSessions(undefined, {})).toEqual({ enabled: false, secure: true, accessDuration: 900, refreshDuration: 604800, maxDuration: 2592000 })
    const m = mergeCookieSessions(undefined, { enabled: true, secure: 'false', accessDuration: 59, refreshDuration: 3600.5, maxDuration: 86400 })
    expect(m).toEqual({ enabled: true, secure: true, accessDuration: 900, refreshDuration: 604800, maxDuration: 86400 })
  })
})
