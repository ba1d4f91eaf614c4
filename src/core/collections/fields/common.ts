// Shared helpers for field kinds: PocketBase-style error builders, Go-like casts and option checks.
import { sentenize, type FieldError } from '../../errors.ts'
import type { Field } from '../types.ts'
import { defaultFieldId } from './field-id.ts'
import { ErrorCode } from '../../error-codes.ts'

/** Builds a FieldError, interpolating `{{.key}}` placeholders from params and sentenizing like PocketBase. */
export function err(code: string, message: string, params?: Record<string, unknown>): FieldError {
  const text = message.replace(/\{\{\.(\w+)\}\}/g, (_, k: string) => String(params?.[k] ?? ''))
  return params ? { code, message: sentenize(text), params } : { code, message: sentenize(text) }
}

export const requiredError = () => err(ErrorCode.required, 'Cannot be blank')
export const unsupportedType = () => err(ErrorCode.unsupportedValueType, 'Invalid or unsupported value type')

/** PocketBase JSON ints are limited to the JS safe range so values round-trip through clients. */
export const MAX_SAFE_JSON_INT = Number.MAX_SAFE_INTEGER

/**
 * Go's strconv.FormatFloat(f, 'f', -1, 64): shortest round-trip digits, never exponent notation.
 * Used by the string cast so `1e21` becomes "1000000000000000000000" like PocketBase.
 */
export function formatFloat(n: number): string {
  if (Number.isNaN(n)) return 'NaN'
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : '-Inf'
  if (Object.is(n, -0)) return '-0'
  const s = String(n)
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s)
  if (!m) return s
  const [, sign, head, tail = '', expText] = m
  const digits = head + tail
  const exp = Number(expText)
  if (exp >= 0) {
    const intLen = 1 + exp
    return sign + (digits.length <= intLen ? digits + '0'.repeat(intLen - digits.length) : digits.slice(0, intLen) + '.' + digits.slice(intLen))
  }
  return sign + '0.' + '0'.repeat(-exp - 1) + digits
}

/** spf13/cast ToString: scalars become text; objects, arrays and null become "" (never "[object Object]"). */
export function castString(raw: unknown): string {
  switch (typeof raw) {
    case 'string': return raw
    case 'number': return formatFloat(raw)
    case 'bigint': return raw.toString()
    case 'boolean': return raw ? 'true' : 'false'
    default: return ''
  }
}

/**
 * Go-like unique string list (PocketBase list.ToUniqueStringSlice): a string holding a JSON array of
 * strings is decoded, other strings are one element; empty strings and duplicates are dropped.
 * Scalars are accepted as one element (friendlier than Go, which drops numbers); objects yield [].
 */
export function toUniqueStrings(raw: unknown): string[] {
  let items: unknown[]
  if (raw == null) items = []
  else if (Array.isArray(raw)) items = raw
  else if (typeof raw === 'string') {
    items = [raw]
    if (raw.includes('[')) {
      try {
        const parsed: unknown = JSON.parse(raw)
        // Go decodes into []string, so a JSON array with non-string items stays one plain value
        if (Array.isArray(parsed) && parsed.every((v) => typeof v === 'string')) items = parsed
      } catch { /* not JSON: keep the raw string as a single value */ }
    }
  } else if (typeof raw === 'number' || typeof raw === 'boolean' || typeof raw === 'bigint') items = [raw]
  else items = []
  const seen = new Set<string>()
  for (const item of items) {
    const s = typeof item === 'object' ? '' : castString(item)
    if (s !== '') seen.add(s)
  }
  return [...seen]
}

/** Whether `value` is a list of only scalars (modifier operands must not smuggle objects). */
export function isScalarList(raw: unknown): boolean {
  if (raw == null) return true
  if (Array.isArray(raw)) return raw.every((v) => v == null || ['string', 'number', 'boolean'].includes(typeof v))
  return ['string', 'number', 'boolean'].includes(typeof raw)
}

/** Common fields every field JSON carries, taken from user input with safe types. */
export function baseOf<T extends Field['type']>(type: T, input: Record<string, unknown>) {
  const name = typeof input.name === 'string' ? input.name : ''
  return {
    // PocketBase assigns `<type><crc32(name)>` when a field is added without an id
    id: typeof input.id === 'string' && input.id !== '' ? input.id : defaultFieldId(type, name),
    name,
    type,
    system: input.system === true,
    hidden: input.hidden === true,
    presentable: input.presentable === true,
    help: typeof input.help === 'string' ? input.help : '',
  }
}

export const optBool = (v: unknown, dflt = false): boolean => (typeof v === 'boolean' ? v : dflt)
export const optString = (v: unknown, dflt = ''): string => (typeof v === 'string' ? v : dflt)
export const optNumber = (v: unknown, dflt = 0): number => (typeof v === 'number' && Number.isFinite(v) ? v : dflt)
export const optNullableNumber = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null)
/** A string list option: arrays keep their string items, anything else keeps PocketBase's nil (null). */
export const optStringList = (v: unknown): string[] | null =>
  Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : null

/** ozzo-validation style integer option check (Min/Max rules skip zero values like ozzo does). */
export function checkInt(
  errors: Record<string, FieldError>, key: string, value: number, min: number, max = MAX_SAFE_JSON_INT,
): void {
  if (!Number.isInteger(value)) errors[key] = err(ErrorCode.invalidValue, 'Must be an integer')
  else if (value !== 0 && value < min) errors[key] = err(ErrorCode.minGreaterEqualThanRequired, 'Must be no less than {{.threshold}}', { threshold: min })
  else if (value !== 0 && value > max) errors[key] = err(ErrorCode.maxLessEqualThanRequired, 'Must be no greater than {{.threshold}}', { threshold: max })
}

/** Field id check shared by all kinds (PocketBase: required, 1–100 chars). */
export function checkId(errors: Record<string, FieldError>, id: string): void {
  if (!id) errors.id = requiredError()
  else if (id.length > 100) errors.id = err(ErrorCode.lengthOutOfRange, 'The length must be between 1 and 100', { min: 1, max: 100 })
}

/** A DNS domain as ozzo's is.Domain accepts it (labels 1–63 chars, alnum/hyphen, TLD not numeric). */
export function isDomain(value: string): boolean {
  if (value.length < 1 || value.length > 253) return false
  const labels = value.split('.')
  if (labels.length < 2) return false
  if (!labels.every((l) => /^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/.test(l))) return false
  return !/^\d+$/.test(labels[labels.length - 1])
}

/** exceptDomains/onlyDomains option validation shared by email and url fields. */
export function checkDomainOptions(
  errors: Record<string, FieldError>, except: string[] | null, only: string[] | null,
): void {
  const e = except ?? []
  const o = only ?? []
  const domainErr = (list: string[]) => {
    const bad = list.findIndex((d) => !isDomain(d))
    return bad < 0 ? undefined : err(ErrorCode.isDomain, 'Must be a valid domain', { index: bad, value: list[bad] })
  }
  const exceptErr = o.length > 0 && e.length > 0 ? err(ErrorCode.empty, 'Must be blank') : domainErr(e)
  const onlyErr = e.length > 0 && o.length > 0 ? err(ErrorCode.empty, 'Must be blank') : domainErr(o)
  if (exceptErr) errors.exceptDomains = exceptErr
  if (onlyErr) errors.onlyDomains = onlyErr
}

/** Text-like columns: NULL becomes "", numbers get Go formatting. */
export function textFromDb(raw: unknown): string {
  return raw == null ? '' : castString(raw)
}

/** select/relation/file: maxSelect > 1 means a list value (JSON array column), otherwise a single string. */
export const isMultiple = (f: { maxSelect: number }): boolean => f.maxSelect > 1

/** Unique non-empty string list; single-valued fields keep the LAST value, like PocketBase's setters. */
export function normalizeList(f: { maxSelect: number }, raw: unknown): string[] | string {
  const list = toUniqueStrings(raw)
  if (isMultiple(f)) return list
  return list.length ? list[list.length - 1] : ''
}

/** DB → API for list-capable fields; also tolerates data written while the field had the other cardinality. */
export function listFromDb(f: { maxSelect: number }, raw: unknown): string[] | string {
  let value: unknown = raw
  if (typeof raw === 'string' && raw.startsWith('[')) {
    try { value = JSON.parse(raw) } catch { value = raw }
  }
  return normalizeList(f, value)
}

/** API → DB: JSON array text for multi fields, plain text for single ones. */
export function listToDb(f: { maxSelect: number }, value: unknown): string {
  const v = normalizeList(f, value)
  return Array.isArray(v) ? JSON.stringify(v) : v
}
