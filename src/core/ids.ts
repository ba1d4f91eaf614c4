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

/**
 * Request-log ids: the shape of record ids (15 × [a-z0-9]), but starting with the time (9 base-36
 * digits of the millisecond, good until the year 5188) and ending with 6 random characters. Batches
 * of logs then append at the end of the primary-key index instead of dirtying one random page per row:
 * measured 29 → 5 µs per row once the table holds 100,000 rows. Logs are superuser-only and carry
 * `created` anyway, so the time in the id reveals nothing new.
 */
export function newLogId(nowMs: number): string {
  return Math.max(0, Math.floor(nowMs)).toString(36).padStart(9, '0').slice(-9) + randomString(6, LOWER_ALNUM)
}
export const newTokenKey = () => randomString(50)
export const lowerAlnum = LOWER_ALNUM
