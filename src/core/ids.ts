// Random identifiers from a CSPRNG: record ids, token keys, realtime client ids.
import { randomBytes } from 'node:crypto'

const LOWER_ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789'
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

/** Uniform random string over `alphabet` (rejection sampling, no modulo bias). */
export function randomString(length: number, alphabet = ALNUM): string {
  const limit = 256 - (256 % alphabet.length)
  let out = ''
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) {
      if (b < limit) out += alphabet[b % alphabet.length]
      if (out.length === length) break
    }
  }
  return out
}

export const newRecordId = () => randomString(15, LOWER_ALNUM)
export const newTokenKey = () => randomString(50)
export const lowerAlnum = LOWER_ALNUM
