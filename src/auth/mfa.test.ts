// MFA helpers: the 401 body is exactly {mfaId}; mfaId is read from the query first, then the body.
import { describe, expect, it } from 'vitest'
import { MfaRequiredError, mfaIdOf } from './mfa.ts'

describe('MfaRequiredError', () => {
  it('is a 401 whose JSON has no status/message keys (what the SDK exposes as err.response.mfaId)', () => {
    const e = new MfaRequiredError('abc123')
    expect(e.status).toBe(401)
    expect(JSON.parse(JSON.stringify(e.toJSON()))).toEqual({ mfaId: 'abc123' })
  })
})

describe('mfaIdOf', () => {
  it('prefers the query, falls back to the body, ignores non-strings', () => {
    expect(mfaIdOf({ query: { mfaId: 'q' }, body: { mfaId: 'b' } })).toBe('q')
    expect(mfaIdOf({ query: {}, body: { mfaId: 'b' } })).toBe('b')
    expect(mfaIdOf({ query: {}, body: {} }, { mfaId: 'x' })).toBe('x')
    expect(mfaIdOf({ query: {}, body: { mfaId: ['a'] } })).toBeUndefined()
    expect(mfaIdOf({ query: { mfaId: '' }, body: {} })).toBeUndefined()
  })
})
