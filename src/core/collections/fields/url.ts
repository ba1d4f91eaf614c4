// "url" field: absolute URL with a scheme and a host, plus allowed/blocked domains.
import type { UrlField } from '../types.ts'
import { err } from './common.ts'
import { domainFieldKind } from './domain-field.ts'
import { ErrorCode } from '../../error-codes.ts'

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

export const urlKind = domainFieldKind<UrlField>({
  type: 'url',
  domainOf: urlHost,
  invalid: err(ErrorCode.invalidUrl, 'Must be a valid url'),
  domainNotAllowed: err(ErrorCode.urlDomainNotAllowed, 'Url domain is not allowed'),
})
