// Shared shape of "email" and "url": a text value with a format check and allowed/blocked domains.
import type { FieldError } from '../../errors.ts'
import type { EmailField, UrlField } from '../types.ts'
import type { FieldKind } from './kind.ts'
import { baseOf, castString, checkDomainOptions, checkId, optBool, optStringList, requiredError, textFromDb, unsupportedType } from './common.ts'

/** Case-insensitive domain list membership (DNS names are case-insensitive; PocketBase compares exactly). */
export function domainListed(list: string[] | null, domain: string): boolean {
  const d = domain.toLowerCase()
  return (list ?? []).some((x) => x.toLowerCase() === d)
}

interface DomainFieldSpec {
  type: 'email' | 'url'
  /** The value's domain when its format is valid, else undefined. */
  domainOf(value: string): string | undefined
  invalid: FieldError
  domainNotAllowed: FieldError
}

export function domainFieldKind<F extends EmailField | UrlField>(spec: DomainFieldSpec): FieldKind<F> {
  return {
    type: spec.type as F['type'],
    withDefaults(input) {
      const i = input as Record<string, unknown>
      return {
        ...baseOf(spec.type, i),
        required: optBool(i.required),
        exceptDomains: optStringList(i.exceptDomains),
        onlyDomains: optStringList(i.onlyDomains),
      } as F
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
      const domain = spec.domainOf(value)
      if (domain === undefined) return { ...spec.invalid }
      if ((f.onlyDomains?.length && !domainListed(f.onlyDomains, domain)) || domainListed(f.exceptDomains, domain)) {
        return { ...spec.domainNotAllowed }
      }
      return null
    },
    fromDb: (_f, raw) => textFromDb(raw),
    toDb: (_f, value) => castString(value),
  }
}

