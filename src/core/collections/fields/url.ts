// "url" field: absolute URL with a scheme and a host, plus allowed/blocked domains.
import type { FieldError } from '../../errors.ts'
import type { UrlField } from '../types.ts'
import type { FieldKind } from './kind.ts'
import { baseOf, castString, checkDomainOptions, checkId, err, optBool, optStringList, requiredError, textFromDb, unsupportedType } from './common.ts'
import { domainListed } from './email.ts'

/** Same upper bound as govalidator's IsURL, which PocketBase's check relies on. */
const MAX_URL_LENGTH = 2083

/** Returns the URL's host (with port, like Go's url.Host) if the value is an acceptable URL, else undefined. */
export function urlHost(value: string): string | undefined {
  if (value.length < 3 || value.length > MAX_URL_LENGTH) return undefined
  // WHATWG parsing silently strips/encodes whitespace and control chars; an address containing them is not valid input
  if (/[\s\x00-\x1f\x7f]/.test(value)) return undefined
  if (!/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(value)) return undefined
  let u: URL
  try { u = new URL(value) } catch { return undefined }
  if (!u.hostname) return undefined
  return u.host
}

export const urlKind: FieldKind<UrlField> = {
  type: 'url',
  withDefaults(input) {
    const i = input as Record<string, unknown>
    return {
      ...baseOf('url', i),
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
    const host = urlHost(value)
    if (host === undefined) return err('validation_invalid_url', 'Must be a valid url')
    if ((f.onlyDomains?.length && !domainListed(f.onlyDomains, host)) || domainListed(f.exceptDomains, host)) {
      return err('validation_url_domain_not_allowed', 'Url domain is not allowed')
    }
    return null
  },
  fromDb: (_f, raw) => textFromDb(raw),
  toDb: (_f, value) => castString(value),
}
