// Password hashing (argon2id, PHC strings) with constant-cost handling of unknown identities; bcrypt accepted for imports.
import { availableParallelism } from 'node:os'
import { hash, verify, parseOptions, type Algorithm, type Options } from '@node-rs/argon2'
import bcrypt from 'bcryptjs'

/**
 * At most one argon2 computation per CPU at a time: each holds 19 MiB and a whole core, so a burst
 * of logins or sign-ups would otherwise spike memory and starve every other request of CPU.
 * Excess calls wait their turn (the brute-force guard bounds how many can queue per attacker).
 */
const MAX_CONCURRENT_HASHES = Math.max(1, availableParallelism())
let running = 0
const waiting: (() => void)[] = []

async function limited<T>(work: () => Promise<T>): Promise<T> {
  // A finishing call hands its slot straight to the next waiter, so the limit is never exceeded.
  if (running >= MAX_CONCURRENT_HASHES) await new Promise<void>((resolve) => waiting.push(resolve))
  else running++
  try {
    return await work()
  } finally {
    const next = waiting.shift()
    if (next) next()
    else running--
  }
}

/**
 * OWASP Password Storage Cheat Sheet, argon2id option 2: m=19 MiB, t=2, p=1.
 * `algorithm: 2` is Algorithm.Argon2id; the package exports it as an ambient const enum,
 * which `isolatedModules` cannot inline, hence the literal.
 */
export const HASH_OPTIONS: Readonly<Options> = Object.freeze({
  algorithm: 2 as Algorithm,
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
  outputLen: 32,
})

/**
 * Upper bounds for parameters we are willing to *verify*. A stored hash with m=4 GiB or t=10^6
 * (corrupted row, hostile import) would otherwise turn one login into a memory/CPU bomb.
 */
const MAX_VERIFY = { memoryCost: 262144 /* 256 MiB */, timeCost: 16, parallelism: 8 }

/**
 * Fixed argon2id hash of a random, discarded secret, created with HASH_OPTIONS. Verifying against it
 * costs the same as verifying a real user's hash, so "unknown identity" and "wrong password" are not
 * distinguishable by response time. A constant (not computed at startup) keeps the first call cheap too;
 * a unit test asserts its parameters still equal HASH_OPTIONS.
 */
export const DUMMY_HASH =
  '$argon2id$v=19$m=19456,t=2,p=1$VAPJy5zgsa4KtgOBEvhT4Q$3WVuQYnJ/coWXUCfhMd82T7ysCNJqWbA5L9K9nInWCE'

/** Hashes `plain` with argon2id and a fresh random salt; returns the PHC string (`$argon2id$v=19$m=…`). */
export async function hashPassword(plain: string): Promise<string> {
  if (typeof plain !== 'string') throw new TypeError('password must be a string')
  return limited(() => hash(plain, HASH_OPTIONS))
}

/**
 * bcrypt as PocketBase stores it (`$2a$`, Go's golang.org/x/crypto/bcrypt; `$2b$`/`$2y$` from other tools):
 * 2-digit cost, 22 salt + 31 hash chars. Only ever verified (accounts imported from PocketBase, see
 * docs/migrating-from-pocketbase.md); a successful login rehashes to argon2id (needsRehash is true for them).
 */
const BCRYPT_HASH = /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$/
/**
 * Highest bcrypt cost we verify. PocketBase's default is 10 (bcryptjs: ~70 ms); each step doubles the
 * work, and cost 31 would take days, so a hostile or corrupted import must not get to choose it.
 */
export const MAX_BCRYPT_COST = 14

export function isBcryptHash(hashed: string): boolean {
  return typeof hashed === 'string' && BCRYPT_HASH.test(hashed)
}

async function verifyBcrypt(hashed: string, plain: string): Promise<boolean> {
  const cost = Number(BCRYPT_HASH.exec(hashed)![1])
  if (cost < 4 || cost > MAX_BCRYPT_COST) return false
  // bcrypt only reads the first 72 bytes, as Go's does; PocketBase capped passwords at 71 chars anyway.
  return limited(() => bcrypt.compare(plain, hashed))
}

/**
 * True only if `hash` is a well-formed argon2 PHC string (or an imported bcrypt hash) within sane cost
 * bounds and matches `plain`. Never throws.
 */
export async function verifyPassword(hashed: string, plain: string): Promise<boolean> {
  if (typeof hashed !== 'string' || typeof plain !== 'string') return false
  if (isBcryptHash(hashed)) {
    try { return await verifyBcrypt(hashed, plain) } catch { return false }
  }
  if (!hashed.startsWith('$argon2') || hashed.length > 512) return false
  try {
    const p = parseOptions(hashed)
    if (p.memoryCost > MAX_VERIFY.memoryCost || p.timeCost > MAX_VERIFY.timeCost || p.parallelism > MAX_VERIFY.parallelism) {
      return false
    }
    return await limited(() => verify(hashed, plain))
  } catch {
    return false
  }
}

/** Spends the same work as a real verification and discards the result (use when the identity is unknown). */
export async function burnVerification(plain: string): Promise<void> {
  await verifyPassword(DUMMY_HASH, typeof plain === 'string' ? plain : '')
}

/** True when a stored hash was made with other parameters than HASH_OPTIONS or another algorithm (bcrypt): rehash after a successful login. */
export function needsRehash(hashed: string): boolean {
  try {
    const p = parseOptions(hashed)
    return (
      p.algorithm !== HASH_OPTIONS.algorithm ||
      p.memoryCost !== HASH_OPTIONS.memoryCost ||
      p.timeCost !== HASH_OPTIONS.timeCost ||
      p.parallelism !== HASH_OPTIONS.parallelism ||
      p.outputLen !== HASH_OPTIONS.outputLen
    )
  } catch {
    return true
  }
}
