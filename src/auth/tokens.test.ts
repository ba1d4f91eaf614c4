// Unit tests for PocketBase-compatible JWTs: wire format, SDK decodability and forgery/confusion attacks.
import { describe, expect, it } from 'vitest'
import { SignJWT, base64url } from 'jose'
import { MAX_TOKEN_LENGTH, peekClaims, signToken, tokenFromHeader, verifyToken, type TokenType } from './tokens.ts'

const NOW = new Date('2026-01-01T00:00:00Z')
const NOW_S = NOW.getTime() / 1000
const KEYS = { tokenKey: 'tk_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKL', secret: 'collection-secret-30-chars-xxxx' }
const AUTH = { type: 'auth' as const, id: 'u3k2l1m9n8b7v6c', collectionId: '_pb_users_auth_', refreshable: true }
const verifyOpts = (over: Partial<Parameters<typeof verifyToken>[1]> = {}) =>
  ({ ...KEYS, allowedTypes: ['auth'] as TokenType[], now: NOW, ...over })
const sign = (claims = AUTH as Parameters<typeof signToken>[0], over: object = {}) =>
  signToken(claims, { ...KEYS, durationSeconds: 3600, now: NOW, ...over })
const b64 = (o: unknown) => base64url.encode(JSON.stringify(o))
const keyBytes = new TextEncoder().encode(KEYS.tokenKey + KEYS.secret)

/** What the SDK does in tools/jwt.ts getTokenPayload (plain atob + percent-decoding). */
function sdkDecode(token: string): Record<string, unknown> {
  try {
    const bin = atob(token.split('.')[1])
    const json = decodeURIComponent(bin.split('').map((c) => '%' + ('00' + c.charCodeAt(0).toString(16)).slice(-2)).join(''))
    return JSON.parse(json) || {}
  } catch {
    return {}
  }
}

describe('signToken wire format', () => {
  it('uses PocketBase header bytes and claim order', async () => {
    const t = await sign()
    const [h, p] = t.split('.')
    expect(h).toBe('eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9')
    expect(Buffer.from(p, 'base64url').toString()).toBe(
      `{"collectionId":"_pb_users_auth_","exp":${NOW_S + 3600},"id":"u3k2l1m9n8b7v6c","refreshable":true,"type":"auth"}`,
    )
  })

  it('email-change claims are ordered like PocketBase too', async () => {
    const t = await sign({ type: 'emailChange', id: 'abc', collectionId: 'c1', email: 'a@b.c', newEmail: 'n@b.c' })
    expect(Object.keys(JSON.parse(Buffer.from(t.split('.')[1], 'base64url').toString()))).toEqual([
      'collectionId', 'email', 'exp', 'id', 'newEmail', 'type',
    ])
  })

  it('payload always decodes with plain atob, the way the SDK reads it', async () => {
    const ids = ['a', 'ab', 'abc', 'u3k2l1m9n8b7v6c', 'pbc_3142635823', '_superusers_', 'Z'.repeat(15), 'x?y>z~w', 'ünïcödé', '日本語', '😀😀', 'a\u007fb']
    const emails = ['a@b.c', 'weird+tag@ex.ample', 'ü@ä.de', 'q?x@y.z', '~~>@a.b']
    let n = 0
    for (const id of ids) {
      for (const [i, email] of emails.entries()) {
        for (const exp of [1, 59, 3601, 7 * 86400 + i]) {
          const t = await sign({ type: 'verification', id, collectionId: id + 'c', email }, { durationSeconds: exp })
          expect(t.split('.')[1]).not.toMatch(/[-_]/)
          const d = sdkDecode(t)
          expect(d).toMatchObject({ id, collectionId: id + 'c', email, type: 'verification', exp: NOW_S + exp })
          expect(await verifyToken(t, verifyOpts({ allowedTypes: ['verification'] }))).toMatchObject({ id, email })
          n++
        }
      }
    }
    expect(n).toBe(ids.length * emails.length * 4)
  })

  it('rejects bad signing inputs', async () => {
    await expect(sign(AUTH, { tokenKey: '' })).rejects.toThrow(TypeError)
    await expect(sign(AUTH, { secret: '' })).rejects.toThrow(TypeError)
    await expect(sign(AUTH, { durationSeconds: 0 })).rejects.toThrow(TypeError)
    await expect(sign({ ...AUTH, id: '' })).rejects.toThrow(TypeError)
    await expect(sign({ ...AUTH, type: 'admin' as TokenType })).rejects.toThrow(TypeError)
  })
})

describe('verifyToken', () => {
  it('accepts a valid token and returns exactly the known claims', async () => {
    expect(await verifyToken(await sign(), verifyOpts())).toEqual({ ...AUTH, exp: NOW_S + 3600 })
  })

  it('rejects a forged signature / wrong key', async () => {
    const t = await sign()
    const [h, p, s] = t.split('.')
    const flipped = s.slice(0, -2) + (s.at(-2) === 'A' ? 'B' : 'A') + s.at(-1)
    expect(await verifyToken(`${h}.${p}.${flipped}`, verifyOpts())).toBeNull()
    const other = await new SignJWT({ ...AUTH, exp: NOW_S + 60 }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .sign(new TextEncoder().encode('attacker-key'))
    expect(await verifyToken(other, verifyOpts())).toBeNull()
  })

  it.each(['none', 'None', 'NONE', 'nOnE'])('rejects alg %s', async (alg) => {
    const payload = b64({ ...AUTH, exp: NOW_S + 60 })
    for (const sig of ['', 'AAAA']) {
      expect(await verifyToken(`${b64({ alg, typ: 'JWT' })}.${payload}.${sig}`, verifyOpts())).toBeNull()
    }
  })

  it('rejects HS512/HS384 signed with the right key, and RS256/ES256 headers', async () => {
    for (const alg of ['HS512', 'HS384']) {
      const t = await new SignJWT({ ...AUTH, exp: NOW_S + 60 }).setProtectedHeader({ alg, typ: 'JWT' }).sign(keyBytes)
      expect(peekClaims(t)).not.toBeNull()
      expect(await verifyToken(t, verifyOpts())).toBeNull()
    }
    const good = (await sign()).split('.')
    for (const alg of ['RS256', 'ES256', 'hs256', 'HS256 ']) {
      expect(await verifyToken(`${b64({ alg, typ: 'JWT' })}.${good[1]}.${good[2]}`, verifyOpts())).toBeNull()
    }
  })

  it('enforces exp with no leeway and requires it', async () => {
    const t = await sign(AUTH, { durationSeconds: 60 })
    expect(await verifyToken(t, verifyOpts({ now: new Date(NOW.getTime() + 59_000) }))).not.toBeNull()
    expect(await verifyToken(t, verifyOpts({ now: new Date(NOW.getTime() + 60_000) }))).toBeNull()
    expect(await verifyToken(t, verifyOpts({ now: new Date(NOW.getTime() + 86_400_000) }))).toBeNull()
    const noExp = await new SignJWT({ ...AUTH }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(keyBytes)
    expect(await verifyToken(noExp, verifyOpts())).toBeNull()
    const strExp = await new SignJWT({ ...AUTH, exp: String(NOW_S + 60) as unknown as number })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(keyBytes).catch(() => null)
    if (strExp) expect(await verifyToken(strExp, verifyOpts())).toBeNull()
  })

  it('rejects a token whose type is not allowed (type confusion)', async () => {
    for (const type of ['file', 'verification', 'passwordReset', 'emailChange'] as const) {
      const t = await sign({ type, id: AUTH.id, collectionId: AUTH.collectionId })
      expect(await verifyToken(t, verifyOpts())).toBeNull()
      expect(await verifyToken(t, verifyOpts({ allowedTypes: [type] }))).toMatchObject({ type })
    }
    expect(await verifyToken(await sign(), verifyOpts({ allowedTypes: ['file'] }))).toBeNull()
    expect(await verifyToken(await sign(), verifyOpts({ allowedTypes: [] }))).toBeNull()
  })

  it('rejects a swapped id / collectionId / refreshable with the original signature', async () => {
    const [h, , s] = (await sign()).split('.')
    for (const tampered of [
      { ...AUTH, id: 'victim000000000', exp: NOW_S + 3600 },
      { ...AUTH, collectionId: 'pbc_3142635823', exp: NOW_S + 3600 },
      { ...AUTH, refreshable: false, exp: NOW_S + 3600 },
      { ...AUTH, exp: NOW_S + 999_999 },
    ]) {
      expect(await verifyToken(`${h}.${b64(tampered)}.${s}`, verifyOpts())).toBeNull()
    }
  })

  it('key rotation: changing tokenKey or secret invalidates', async () => {
    const t = await sign()
    expect(await verifyToken(t, verifyOpts({ tokenKey: KEYS.tokenKey + 'x' }))).toBeNull()
    expect(await verifyToken(t, verifyOpts({ secret: 'rotated-secret' }))).toBeNull()
    expect(await verifyToken(t, verifyOpts({ tokenKey: '' }))).toBeNull()
    expect(await verifyToken(t, verifyOpts({ secret: '' }))).toBeNull()
  })

  it('garbage, wrong segment counts and huge tokens → null, never throws', async () => {
    const good = await sign()
    const huge = `${good.split('.')[0]}.${'A'.repeat(100 * 1024)}.${good.split('.')[2]}`
    const garbage = [
      '', '.', '..', '...', 'abc', good + '.x', good + '.', `${good}.${good}`, good.split('.').slice(0, 2).join('.'),
      'a.b.c', '!!!.###.$$$', '\u0000.\u0000.\u0000', huge, 'x'.repeat(100 * 1024),
      `${b64({ alg: 'HS256' })}.${b64('string')}.AAAA`, `${b64({ alg: 'HS256' })}.${b64([1, 2])}.AAAA`,
      `${b64({ alg: 'HS256' })}.${b64(null)}.AAAA`, `${b64([])}.${good.split('.')[1]}.AAAA`,
      `${good.split('.')[0]}.${Buffer.from([0xff, 0xfe, 0x7b]).toString('base64url')}.${good.split('.')[2]}`,
      good.replace(/\./g, ' . '),
    ]
    for (const t of garbage) {
      expect(peekClaims(t)).toBeNull()
      expect(await verifyToken(t, verifyOpts())).toBeNull()
    }
    expect(await verifyToken(undefined as unknown as string, verifyOpts())).toBeNull()
    expect(await verifyToken(good, { ...verifyOpts(), allowedTypes: undefined as unknown as TokenType[] })).toBeNull()
  })
})

describe('peekClaims', () => {
  it('reads claims of a valid token without a key', async () => {
    expect(peekClaims(await sign())).toEqual({ ...AUTH, exp: NOW_S + 3600 })
  })

  it('rejects missing or non-string id/collectionId/type and bad optional claims', () => {
    const h = b64({ alg: 'HS256', typ: 'JWT' })
    const base = { ...AUTH, exp: NOW_S }
    const bad = [
      { ...base, id: undefined }, { ...base, id: 5 }, { ...base, id: '' }, { ...base, collectionId: ['x'] },
      { ...base, type: undefined }, { ...base, type: 'admin' }, { ...base, type: { $ne: 1 } }, { ...base, exp: '1' },
      { ...base, exp: undefined }, { ...base, refreshable: 'true' }, { ...base, email: 1 }, { ...base, newEmail: {} },
    ]
    for (const p of bad) expect(peekClaims(`${h}.${b64(p)}.AAAA`)).toBeNull()
  })

  it('drops unknown claims and does not carry prototype pollution', () => {
    const h = b64({ alg: 'HS256', typ: 'JWT' })
    const payload = base64url.encode(`{"collectionId":"c","exp":1,"id":"i","type":"auth","__proto__":{"isAdmin":true},"role":"root"}`)
    const c = peekClaims(`${h}.${payload}.AAAA`)
    expect(c).toEqual({ collectionId: 'c', exp: 1, id: 'i', type: 'auth' })
    expect((c as unknown as Record<string, unknown>).isAdmin).toBeUndefined()
  })

  it('rejects tokens over MAX_TOKEN_LENGTH', () => {
    expect(peekClaims('a'.repeat(MAX_TOKEN_LENGTH + 1))).toBeNull()
  })
})

describe('tokenFromHeader', () => {
  it('accepts raw and Bearer forms, any case', () => {
    expect(tokenFromHeader('abc.def.ghi')).toBe('abc.def.ghi')
    expect(tokenFromHeader('Bearer abc.def.ghi')).toBe('abc.def.ghi')
    expect(tokenFromHeader('bearer abc')).toBe('abc')
    expect(tokenFromHeader('BEARER   abc  ')).toBe('abc')
    expect(tokenFromHeader('  abc  ')).toBe('abc')
  })

  it('returns null for empty, missing, multi-word or oversized values', () => {
    for (const h of [undefined, '', '   ', 'Bearer', 'Bearer   ', 'Basic dXNlcjpwYXNz', 'a b', 'x'.repeat(MAX_TOKEN_LENGTH + 1)]) {
      expect(tokenFromHeader(h)).toBeNull()
    }
  })
})
