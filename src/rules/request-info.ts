// RequestInfo: everything a rule may read about the current request (`@request.*`).
import type { Collection } from '../core/collections/types.ts'

export type RequestContext = 'default' | 'oauth2' | 'otp' | 'password' | 'realtime' | 'protectedFile' | 'batch' | 'expand'

/** A stored record as plain data: field name -> value in API form (multi-values as arrays). */
export type RecordData = Record<string, unknown>

export interface AuthInfo {
  collection: Collection
  record: RecordData
}

export interface RequestInfo {
  auth: AuthInfo | null
  method: string
  context: RequestContext
  /** First value of each query parameter. */
  query: Record<string, string>
  /** Header names lower-cased with `-` replaced by `_`; first value. */
  headers: Record<string, string>
  /** Submitted body after modifier resolution (`tags+` folded into `tags`). */
  body: Record<string, unknown>
  /** The client IP as resolved with the trusted proxies (not visible to rules; login alerts use it). */
  ip?: string
}

export function isSuperuser(info: RequestInfo): boolean {
  return info.auth?.collection.name === '_superusers'
}

export function guestRequest(overrides: Partial<RequestInfo> = {}): RequestInfo {
  return { auth: null, method: 'GET', context: 'default', query: {}, headers: {}, body: {}, ...overrides }
}
