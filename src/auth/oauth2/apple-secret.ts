// Sign in with Apple's client secret: an ES256 JWT signed with the developer's private key (PocketBase's
// POST /api/settings/apple/generate-client-secret). Apple caps its lifetime at six months.
import { createPrivateKey, type KeyObject } from 'node:crypto'
import { SignJWT } from 'jose'
import { badRequest, fieldError, type FieldError } from '../../core/errors.ts'
import { ErrorCode } from '../../core/error-codes.ts'

export const APPLE_MAX_DURATION = 15_777_000

export interface AppleSecretInput { clientId: string; teamId: string; keyId: string; privateKey: string; duration: number }

/** Validates the body field by field (PocketBase's codes) and signs the secret. */
export async function generateAppleClientSecret(body: Record<string, unknown>, now: Date): Promise<string> {
  const errors: Record<string, FieldError> = {}
  const text = (name: keyof AppleSecretInput, exact?: number) => {
    const v = body[name]
    if (typeof v !== 'string' || !v.trim()) { errors[name] = fieldError(ErrorCode.required, 'Cannot be blank.'); return '' }
    if (exact && v.length !== exact) errors[name] = fieldError(ErrorCode.lengthInvalid, `The length must be exactly ${exact}.`, { min: exact, max: exact })
    return v
  }
  const clientId = text('clientId')
  const teamId = text('teamId', 10)
  const keyId = text('keyId', 10)
  const pem = text('privateKey')
  const duration = body.duration
  if (duration === undefined || duration === null || duration === 0 || duration === '') errors.duration = fieldError(ErrorCode.required, 'Cannot be blank.')
  else if (typeof duration !== 'number' || !Number.isInteger(duration) || duration < 1 || duration > APPLE_MAX_DURATION) {
    errors.duration = fieldError(ErrorCode.outOfRange, `Must be a whole number of seconds between 1 and ${APPLE_MAX_DURATION}.`, { min: 1, max: APPLE_MAX_DURATION })
  }
  let key: KeyObject | null = null
  if (pem && !errors.privateKey) {
    try {
      key = createPrivateKey(pem)
      if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw new Error('not P-256')
    } catch {
      errors.privateKey = fieldError(ErrorCode.invalidPrivateKey, 'Must be a PEM encoded P-256 (ES256) private key.')
    }
  }
  if (Object.keys(errors).length || !key) throw badRequest('An error occurred while validating the submitted data.', errors)
  const iat = Math.floor(now.getTime() / 1000)
  return new SignJWT({})
    .setProtectedHeader({ alg: 'ES256', kid: keyId })
    .setIssuer(teamId).setSubject(clientId).setAudience('https://appleid.apple.com')
    .setIssuedAt(iat).setExpirationTime(iat + (duration as number))
    .sign(key)
}
