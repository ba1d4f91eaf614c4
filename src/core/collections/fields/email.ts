// "email" field: address format check (linear time) and allowed/blocked domains; case is preserved.
import type { EmailField } from '../types.ts'
import { err } from './common.ts'
import { domainFieldKind, domainListed } from './domain-field.ts'
import { ErrorCode } from '../../error-codes.ts'

const LOCAL = /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}$/
const LABEL = /^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/

/**
 * Email syntax like ozzo's is.EmailFormat (local part of atext/dots, hostname domain), implemented with
 * bounded, non-nested regexes on pre-split parts so checking is linear in the input length.
 */
export function isEmail(value: string): boolean {
  if (value.length > 254) return false
  const at = value.lastIndexOf('@')
  if (at <= 0) return false
  const local = value.slice(0, at)
  const domain = value.slice(at + 1)
  if (!LOCAL.test(local) || domain.length === 0 || domain.length > 253) return false
  return domain.split('.').every((label) => LABEL.test(label))
}

export const emailKind = domainFieldKind<EmailField>({
  type: 'email',
  domainOf: (value) => (isEmail(value) ? value.slice(value.lastIndexOf('@') + 1) : undefined),
  invalid: err(ErrorCode.isEmail, 'Must be a valid email address'),
  domainNotAllowed: err(ErrorCode.emailDomainNotAllowed, 'Email domain is not allowed'),
})

export { domainListed }
