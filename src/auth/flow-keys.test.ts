// Unit tests for flow-token key derivation: the key changes exactly when the flow's state changes.
import { describe, expect, it } from 'vitest'
import { defaultAuthOptions } from '../core/collections/auth-defaults.ts'
import type { Collection } from '../core/collections/types.ts'
import { flowKey } from './flow-keys.ts'
import { signToken, verifyToken } from './tokens.ts'

const c = { id: 'c1', name: 'users', type: 'auth', auth: defaultAuthOptions() } as unknown as Collection
const rec = { id: 'r1', email: 'a@x.io', verified: false, password: '$argon2id$one', tokenKey: 'k'.repeat(50) }

describe('flowKey', () => {
  it('verification: changes with verified and email, not with the password', () => {
    const k = flowKey(c, 'verification', rec)
    expect(flowKey(c, 'verification', { ...rec, verified: true })).not.toBe(k)
    expect(flowKey(c, 'verification', { ...rec, email: 'b@x.io' })).not.toBe(k)
    expect(flowKey(c, 'verification', { ...rec, password: '$argon2id$two' })).toBe(k)
  })

  it('passwordReset: changes with the password hash; emailChange: with the email', () => {
    expect(flowKey(c, 'passwordReset', { ...rec, password: '$argon2id$two' })).not.toBe(flowKey(c, 'passwordReset', rec))
    expect(flowKey(c, 'emailChange', { ...rec, email: 'b@x.io' })).not.toBe(flowKey(c, 'emailChange', rec))
  })

  it('uses each flow\'s own collection secret, so one flow\'s key never verifies another\'s token', () => {
    const keys = new Set((['verification', 'passwordReset', 'emailChange'] as const).map((f) => flowKey(c, f, rec)))
    expect(keys.size).toBe(3)
  })

  it('an empty collection secret yields an empty key, which tokens.ts refuses', async () => {
    const bare = { ...c, auth: { ...c.auth!, verificationToken: { duration: 60, secret: '' } } } as Collection
    expect(flowKey(bare, 'verification', rec)).toBe('')
    await expect(signToken({ type: 'verification', id: 'r1', collectionId: 'c1', email: rec.email }, { tokenKey: rec.tokenKey, secret: '', durationSeconds: 60 })).rejects.toThrow()
  })

  it('a token signed for the unverified record stops verifying once the record is verified', async () => {
    const token = await signToken({ type: 'verification', id: 'r1', collectionId: 'c1', email: rec.email }, { tokenKey: rec.tokenKey, secret: flowKey(c, 'verification', rec), durationSeconds: 60 })
    const check = (r: typeof rec) => verifyToken(token, { tokenKey: r.tokenKey, secret: flowKey(c, 'verification', r), allowedTypes: ['verification'] })
    expect(await check(rec)).not.toBeNull()
    expect(await check({ ...rec, verified: true })).toBeNull()
  })
})
