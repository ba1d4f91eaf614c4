// HOTP (RFC 4226) / TOTP (RFC 6238) and base32 (RFC 4648), on node:crypto only; plus recovery codes.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { randomString } from '../core/ids.ts'

export type HotpAlgorithm = 'sha1' | 'sha256' | 'sha512'

/** Authenticator apps only reliably support these defaults, so Basalt never varies them. */
export const TOTP_DIGITS = 6
export const TOTP_PERIOD = 30
/** Codes from one step before/after the current one are accepted (clock drift, slow typing). */
export const TOTP_WINDOW = 1

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'

export function base32Encode(data: Buffer): string {
  let bits = 0, value = 0, out = ''
  for (const byte of data) {
    value = (value << 8) | byte
    bits += 8
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31]
  return out
}

/** Lenient on input (case, spaces, padding) because users paste secrets; throws on other characters. */
export function base32Decode(text: string): Buffer {
  const clean = text.toUpperCase().replace(/[\s=-]/g, '')
  let bits = 0, value = 0
  const out: number[] = []
  for (const ch of clean) {
    const idx = BASE32.indexOf(ch)
    if (idx < 0) throw new Error('invalid base32 character')
    value = ((value << 5) | idx) & 0xffff
    bits += 5
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff)
      bits -= 8
    }
  }
  return Buffer.from(out)
}

/** RFC 4226 §5.3: HMAC over the 8-byte big-endian counter, dynamic truncation, modulo 10^digits. */
export function hotp(secret: Buffer, counter: number | bigint, digits = TOTP_DIGITS, algorithm: HotpAlgorithm = 'sha1'): string {
  const msg = Buffer.alloc(8)
  msg.writeBigUInt64BE(BigInt(counter))
  const mac = createHmac(algorithm, secret).update(msg).digest()
  const offset = mac[mac.length - 1] & 0x0f
  const binary = (mac.readUInt32BE(offset) & 0x7fffffff) % 10 ** digits
  return String(binary).padStart(digits, '0')
}

/** The RFC 6238 time step containing `unixSeconds`. */
export function totpStep(unixSeconds: number, period = TOTP_PERIOD): number {
  return Math.floor(unixSeconds / period)
}

export function totp(secret: Buffer, unixSeconds: number, digits = TOTP_DIGITS, algorithm: HotpAlgorithm = 'sha1', period = TOTP_PERIOD): string {
  return hotp(secret, totpStep(unixSeconds, period), digits, algorithm)
}

/**
 * The step whose code equals `code` within ±TOTP_WINDOW of now, or null. Every candidate is computed
 * and compared in constant time, so timing does not reveal which step matched.
 */
export function matchTotp(secret: Buffer, code: string, unixSeconds: number): number | null {
  if (!/^\d{6}$/.test(code)) return null
  const now = totpStep(unixSeconds)
  let found: number | null = null
  for (let step = now - TOTP_WINDOW; step <= now + TOTP_WINDOW; step++) {
    if (timingSafeEqual(Buffer.from(hotp(secret, step)), Buffer.from(code)) && found === null) found = step
  }
  return found
}

/** 160-bit secret: RFC 4226 §4 recommends the HMAC output size for SHA-1. */
export function newTotpSecret(): Buffer {
  return randomBytes(20)
}

/** `otpauth://totp/Issuer:account?secret=…&issuer=…` (Key Uri Format understood by authenticator apps). */
export function otpauthUri(issuer: string, account: string, secretBase32: string): string {
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(account)}`
  const q = new URLSearchParams({ secret: secretBase32, issuer, algorithm: 'SHA1', digits: String(TOTP_DIGITS), period: String(TOTP_PERIOD) })
  return `otpauth://totp/${label}?${q.toString()}`
}

const RECOVERY_ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789' // no 0/o/1/l: codes get typed from paper

/** `xxxxx-xxxxx`: 10 symbols of 5 bits = 50 bits from a CSPRNG, enough that an unsalted hash is safe. */
export function newRecoveryCode(): string {
  const s = randomString(10, RECOVERY_ALPHABET)
  return `${s.slice(0, 5)}-${s.slice(5)}`
}

export function hashRecoveryCode(code: string): string {
  return createHash('sha256').update(code.trim().toLowerCase().replace(/[\s-]/g, '')).digest('hex')
}
