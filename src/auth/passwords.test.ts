// Unit tests for argon2id password hashing and timing equalization.
import { describe, expect, it } from 'vitest'
import { parseOptions } from '@node-rs/argon2'
import { DUMMY_HASH, HASH_OPTIONS, MAX_BCRYPT_COST, burnVerification, hashPassword, isBcryptHash, needsRehash, verifyPassword } from './passwords.ts'

describe('passwords', () => {
  it('round-trips and produces an argon2id PHC string with the configured params', async () => {
    const h = await hashPassword('correct horse battery staple')
    expect(h).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
    expect(await verifyPassword(h, 'correct horse battery staple')).toBe(true)
    expect(needsRehash(h)).toBe(false)
  })

  it('salts: same password gives different hashes', async () => {
    expect(await hashPassword('same')).not.toBe(await hashPassword('same'))
  })

  it('rejects wrong passwords, including near misses and unicode normalization variants', async () => {
    const h = await hashPassword('pässword1')
    expect(await verifyPassword(h, 'pässword2')).toBe(false)
    expect(await verifyPassword(h, 'pa\u0308ssword1')).toBe(false) // NFD form is a different byte string
    expect(await verifyPassword(h, '')).toBe(false)
  })

  it('returns false (never throws) for malformed or hostile hashes', async () => {
    const bad = [
      '', 'garbage', '$argon2id$', '$2a$10$abcdefghijklmnopqrstuu', 'plaintext-password',
      '$argon2id$v=19$m=19456,t=2,p=1$!!!$!!!',
      // absurd cost parameters must not be executed
      '$argon2id$v=19$m=4194304,t=2,p=1$VAPJy5zgsa4KtgOBEvhT4Q$3WVuQYnJ/coWXUCfhMd82T7ysCNJqWbA5L9K9nInWCE',
      '$argon2id$v=19$m=19456,t=100000,p=1$VAPJy5zgsa4KtgOBEvhT4Q$3WVuQYnJ/coWXUCfhMd82T7ysCNJqWbA5L9K9nInWCE',
      'x'.repeat(100_000),
    ]
    for (const h of bad) expect(await verifyPassword(h, 'anything')).toBe(false)
    expect(await verifyPassword(null as unknown as string, 'x')).toBe(false)
    expect(await verifyPassword(DUMMY_HASH, undefined as unknown as string)).toBe(false)
  })

  it('dummy hash uses the same parameters as real hashes (equal cost)', () => {
    const d = parseOptions(DUMMY_HASH)
    expect([d.algorithm, d.memoryCost, d.timeCost, d.parallelism, d.outputLen]).toEqual([
      HASH_OPTIONS.algorithm, HASH_OPTIONS.memoryCost, HASH_OPTIONS.timeCost, HASH_OPTIONS.parallelism, HASH_OPTIONS.outputLen,
    ])
    expect(needsRehash(DUMMY_HASH)).toBe(false)
    expect(needsRehash('$argon2id$v=19$m=4096,t=3,p=1$VAPJy5zgsa4KtgOBEvhT4Q$3WVuQYnJ/coWXUCfhMd82T7ysCNJqWbA5L9K9nInWCE')).toBe(true)
    expect(needsRehash('nonsense')).toBe(true)
  })

  it('burnVerification costs real work, like a failed real verification', async () => {
    const h = await hashPassword('real-password')
    await burnVerification('warmup')
    const time = async (fn: () => Promise<unknown>) => {
      const t = performance.now()
      await fn()
      return performance.now() - t
    }
    const burn = await time(() => burnVerification('guess'))
    const real = await time(() => verifyPassword(h, 'guess'))
    // Loose bound on purpose: both run a full argon2id pass (several ms), neither short-circuits.
    expect(burn).toBeGreaterThan(2)
    expect(real).toBeGreaterThan(2)
    await expect(burnVerification(undefined as unknown as string)).resolves.toBeUndefined()
  })
})

describe('bcrypt hashes (imported from PocketBase)', () => {
  it('verifies $2a$/$2b$/$2y$ hashes and marks them for rehashing', async () => {
    const bcrypt = (await import('bcryptjs')).default
    const h = bcrypt.hashSync('pb-password-1', 4)
    for (const variant of [h, h.replace(/^\$2b\$/, '$2a$'), h.replace(/^\$2b\$/, '$2y$')]) {
      expect(isBcryptHash(variant)).toBe(true)
      expect(await verifyPassword(variant, 'pb-password-1')).toBe(true)
      expect(await verifyPassword(variant, 'pb-password-2')).toBe(false)
      expect(needsRehash(variant)).toBe(true)
    }
  })

  it('refuses malformed bcrypt strings and costs above the bound without running them', async () => {
    const bcrypt = (await import('bcryptjs')).default
    const h = bcrypt.hashSync('pw', 4)
    const tooCostly = h.replace(/^\$2b\$04\$/, `$2b$${MAX_BCRYPT_COST + 1}$`)
    const started = performance.now()
    expect(await verifyPassword(tooCostly, 'pw')).toBe(false)
    expect(await verifyPassword(h.replace(/^\$2b\$04\$/, '$2b$31$'), 'pw')).toBe(false)
    expect(performance.now() - started).toBeLessThan(1000)
    expect(await verifyPassword(h.slice(0, -1), 'pw')).toBe(false)
    expect(await verifyPassword(h.replace(/^\$2b\$/, '$2x$'), 'pw')).toBe(false)
    expect(await verifyPassword(h.replace(/^\$2b\$04\$/, '$2b$03$'), 'pw')).toBe(false)
  })
})
