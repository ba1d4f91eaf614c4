// "email" field: address format check (linear time) and allowed/blocked domains; case is preserved.
import type { FieldError } from '../../errors.ts'
import type { EmailField } from '../types.ts'
import type { FieldKind } from './kind.ts'
import { baseOf, castString, checkDomainOptions, checkId, err, optBool, optStringList, requiredError, textFromDb, unsupportedType } from './common.ts'

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

/** Case-insensitive domain list membership (DNS names are case-insensitive; PocketBase compares exactly). */
export function domainListed(list: string[] | null, domain: string): boolean {
  const d = domain.toLowerCase()
  return (list ?? []).some((x) => x.toLowerCase() === d)
}

export const emailKind: FieldKind<EmailField> = {
  type: 'email',
  withDefaults(input) {
    const i = input as Record<string, unknown>
    return {
      ...baseOf('email', i),
      required: optBool(i.required),
      exceptDomains: optStringList(i.exceptDomains),
      onlyDomains: optStringList(i.onlyDomains),
    }
  },
  validateOptions(f) {
    const errors: Record<string, FieldError> = {}
    checkId(errors, f.id)
    checkDomainOptions(errors, f.exceptDomains, f.onlyDomains)
    return errors
  },
  columnKind: () => 'text',
  zeroValue: () => '',
  normalize: (_f, raw) => castString(raw),
  validate(f, value) {
    if (typeof value !== 'string') return unsupportedType()
    if (value === '') return f.required ? requiredError() : null
    if (!isEmail(value)) return err('validation_is_email', 'Must be a valid email address')
    const domain = value.slice(value.lastIndexOf('@') + 1)
    if ((f.onlyDomains?.length && !domainListed(f.onlyDomains, domain)) || domainListed(f.exceptDomains, domain)) {
      return err('validation_email_domain_not_allowed', 'Email domain is not allowed')
    }
    return null
  },
  fromDb: (_f, raw) => textFromDb(raw),
  toDb: (_f, value) => castString(value),
}
