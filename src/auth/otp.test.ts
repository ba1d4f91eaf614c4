// OTP primitives: CSPRNG digit codes, salted hashes compared in constant time, one-pass mail rendering.
import { describe, expect, it } from 'vitest'
import { hashOtp, newOtpCode, otpMatches, renderOtpMail } from './otp.ts'

describe('OTP codes', () => {
  it('have the configured number of digits (never fewer than 4) and are not repeated', () => {
    expect(newOtpCode(8)).toMatch(/^\d{8}$/)
    expect(newOtpCode(6)).toMatch(/^\d{6}$/)
    expect(newOtpCode(1)).toMatch(/^\d{4}$/)
    expect(new Set(Array.from({ length: 200 }, () => newOtpCode(8))).size).toBeGreaterThan(195)
  })

  it('every digit value occurs (no stuck or biased generator)', () => {
    const digits = new Set(Array.from({ length: 100 }, () => newOtpCode(8)).join(''))
    expect(digits.size).toBe(10)
  })
})

describe('OTP hashes', () => {
  it('are salted per row and match only the right code', () => {
    const a = hashOtp('12345678'), b = hashOtp('12345678')
    expect(a).not.toBe(b)
    expect(a).not.toContain('12345678')
    expect(otpMatches(a, '12345678')).toBe(true)
    expect(otpMatches(a, '12345679')).toBe(false)
    expect(otpMatches(a, '')).toBe(false)
    for (const broken of ['', 'nosalt', ':', 'salt:zz']) expect(otpMatches(broken, '12345678')).toBe(false)
  })
})

describe('OTP mail', () => {
  it('fills the placeholders once, escapes HTML in the body and strips control characters from the subject', () => {
    const m = renderOtpMail(
      { subject: '{APP_NAME}: {OTP}', body: '<p>{OTP} / {OTP_ID} / {APP_NAME} / {APP_URL} / {UNKNOWN}</p>' },
      { APP_NAME: '<b>Acme</b>\r\nBcc: x@y.z {OTP}', APP_URL: 'https://a.example', OTP: '0123', OTP_ID: 'abc' },
    )
    expect(m.subject).toBe('<b>Acme</b> Bcc: x@y.z {OTP}: 0123')
    expect(m.html).toBe('<p>0123 / abc / &lt;b&gt;Acme&lt;/b&gt;\r\nBcc: x@y.z {OTP} / https://a.example / {UNKNOWN}</p>')
  })
})
