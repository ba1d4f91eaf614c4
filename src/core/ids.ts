// Random identifiers from a CSPRNG: record ids, token keys, realtime client ids.
import { randomFillSync } from 'node:crypto'

const LOWER_ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789'
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

/**
 * CSPRNG bytes served from a pooled buffer: one getrandom call per 4 KiB instead of one per id (ids
 * are minted on every write and every request log; a syscall each was a measurable share of a request).
 */
const POOL_SIZE = 4096
const pool = Buffer.alloc(POOL_SIZE)
let poolOffset = POOL_SIZE

function randomByte(): number {
  if (poolOffset === POOL_SIZE) {
    randomFillSync(pool)
    poolOffset = 0
  }
  return pool[poolOffset++]
}

/** Uniform random string over `alphabet` (rejection sampling, no modulo bias). */
export function randomString(length: number, alphabet = ALNUM): string {
  const limit = 256 - (256 % alphabet.length)
  let out = ''
  while (out.length < length) {
    const b = randomByte()
    if (b < limit) out += alphabet[b % alphabet.length]
  }
  return out
}

export const newRecordId = () => randomString(15, LOWER_ALNUM)
export const newTokenKey = () => randomString(50)
export const lowerAlnum = LOWER_ALNUM
