// TOTP/HOTP against the RFC vectors (the oracle), base32 round trips, window and recovery-code shape.
import { describe, expect, it } from 'vitest'
import { base32Decode, base32Encode, hashRecoveryCode, hotp, matchTotp, newRecoveryCode, otpauthUri, totp } from './totp.ts'

const SHA1_SEED = Buffer.from('12345678901234567890')
const SHA256_SEED = Buffer.from('12345678901234567890123456789012')
const SHA512_SEED = Buffer.from('1234567890123456789012345678901234567890123456789012345678901234')

describe('RFC 6238 Appendix B (8 digits)', () => {
  it.each([
    [59, '94287082', '46119246', '90693936'],
    [1111111109, '07081804', '68084774', '25091201'],
    [1111111111, '14050471', '67062674', '99943326'],
    [1234567890, '89005924', '91819424', '93441116'],
    [2000000000, '69279037', '90698825', '38618901'],
    [20000000000, '65353130', '77737706', '47863826'],
  ])('T=%i → SHA1 %s, SHA256 %s, SHA512 %s', (t, sha1, sha256, sha512) => {
    expect(totp(SHA1_SEED, t, 8, 'sha1')).toBe(sha1)
    expect(totp(SHA256_SEED, t, 8, 'sha256')).toBe(sha256)
    expect(totp(SHA512_SEED, t, 8, 'sha512')).toBe(sha512)
  })
})

describe('RFC 4226 Appendix D (HOTP, 6 digits)', () => {
  const expected = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489']
  it.each(expected.map((code, i) => [i, code]))('counter %i → %s', (counter, code) => {
    expect(hotp(SHA1_SEED, counter as number)).toBe(code)
  })
})

describe('base32', () => {
  it('encodes the RFC 4648 vectors (unpadded) and decodes them back', () => {
    for (const [plain, enc] of [['f', 'MY'], ['fo', 'MZXQ'], ['foo', 'MZXW6'], ['foob', 'MZXW6YQ'], ['fooba', 'MZXW6YTB'], ['foobar', 'MZXW6YTBOI']]) {
      expect(base32Encode(Buffer.from(plain))).toBe(enc)
      expect(base32Decode(enc).toString()).toBe(plain)
    }
    expect(base32Decode('mzxw 6ytb oi======').toString()).toBe('foobar')
    expect(() => base32Decode('MZ1W')).toThrow()
  })
})

describe('matchTotp', () => {
  const now = 1_700_000_000
  const step = Math.floor(now / 30)
  it('accepts the current and ±1 steps, returning the matched step; rejects ±2 and malformed codes', () => {
    expect(matchTotp(SHA1_SEED, hotp(SHA1_SEED, step), now)).toBe(step)
    expect(matchTotp(SHA1_SEED, hotp(SHA1_SEED, step - 1), now)).toBe(step - 1)
    expect(matchTotp(SHA1_SEED, hotp(SHA1_SEED, step + 1), now)).toBe(step + 1)
    expect(matchTotp(SHA1_SEED, hotp(SHA1_SEED, step - 2), now)).toBeNull()
    expect(matchTotp(SHA1_SEED, hotp(SHA1_SEED, step + 2), now)).toBeNull()
    for (const bad of ['', '12345', '1234567', 'abcdef', ' 123456']) expect(matchTotp(SHA1_SEED, bad, now)).toBeNull()
  })
})

describe('enrollment helpers', () => {
  it('builds an otpauth URI with an encoded label and the issuer parameter', () => {
    const uri = otpauthUri('My App', 'a+b@example.com', 'JBSWY3DPEHPK3PXP')
    expect(uri).toBe('otpauth://totp/My%20App:a%2Bb%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=My+App&algorithm=SHA1&digits=6&period=30')
  })

  it('recovery codes are random, 11 chars, and hash the same whatever the case/dash', () => {
    const codes = new Set(Array.from({ length: 50 }, newRecoveryCode))
    expect(codes.size).toBe(50)
    for (const c of codes) expect(c).toMatch(/^[a-z2-9]{5}-[a-z2-9]{5}$/)
    const [c] = codes
    expect(hashRecoveryCode(c.toUpperCase().replace('-', ''))).toBe(hashRecoveryCode(c))
  })
})
