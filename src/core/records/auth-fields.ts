// Auth-record write rules: password + confirm + oldPassword, email/verified changes, token key rotation.
import type { Collection, PasswordField } from '../collections/types.ts'
import { fieldKind } from '../collections/fields/index.ts'
import { fieldError, type ErrorData } from '../errors.ts'
import { hashPassword, verifyPassword } from '../../auth/passwords.ts'
import { newTokenKey } from '../ids.ts'
import type { RecordData } from '../../rules/request-info.ts'
import type { ResolvedInput } from './input.ts'
import { ErrorCode } from '../error-codes.ts'

export interface AuthWriteContext {
  /** Superuser or passes the collection's manageRule. */
  privileged: boolean
  isNew: boolean
}

/**
 * Applies auth-specific changes to `rec` (mutated) and returns field errors. Hashing happens here,
 * before the write transaction, so the slow argon2 work never holds the write lock.
 */
export async function applyAuthFields(c: Collection, rec: RecordData, before: RecordData | null, input: ResolvedInput, ctx: AuthWriteContext): Promise<ErrorData> {
  const errors: ErrorData = {}
  const { password, passwordConfirm, oldPassword } = input.auth
  const pwField = c.fields.find((f) => f.name === 'password') as PasswordField
  const wantsPassword = password !== undefined && password !== null && password !== ''

  if (ctx.isNew) {
    rec.tokenKey = newTokenKey()
    if (!ctx.privileged && rec.verified) errors.verified = fieldError(ErrorCode.valuesMismatch, 'Only superusers and managers can change the verified state.')
  } else {
    if (!ctx.privileged && rec.verified !== before!.verified) errors.verified = fieldError(ErrorCode.valuesMismatch, 'Only superusers and managers can change the verified state.')
    if (!ctx.privileged && String(rec.email).toLowerCase() !== String(before!.email).toLowerCase()) {
      errors.email = fieldError(ErrorCode.valuesMismatch, 'Use the request-email-change flow to change the email.')
    }
  }

  if (ctx.isNew || wantsPassword) {
    const plain = typeof password === 'string' ? password : ''
    const pwError = await fieldKind('password')!.validate(pwField as never, plain, { isNew: ctx.isNew })
    if (pwError) errors.password = pwError
    if (plain !== passwordConfirm) errors.passwordConfirm = fieldError(ErrorCode.valuesMismatch, "Values don't match.")
    if (!ctx.isNew && !ctx.privileged) {
      const ok = typeof oldPassword === 'string' && oldPassword !== '' && await verifyPassword(String(before!.password), oldPassword)
      if (!ok) errors.oldPassword = fieldError(ErrorCode.invalidOldPassword, 'Missing or invalid old password.')
    }
    if (!Object.keys(errors).length) {
      rec.password = await hashPassword(plain)
      rec.tokenKey = newTokenKey()
    }
  }
  if (!ctx.isNew && !errors.email && String(rec.email) !== String(before!.email)) rec.tokenKey = newTokenKey()
  return errors
}
