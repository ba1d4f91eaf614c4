// "json" field: any JSON value, stored as JSON text and limited by its serialized size.
import type { FieldError } from '../../errors.ts'
import type { JsonField } from '../types.ts'
import type { FieldKind } from './kind.ts'
import { baseOf, checkId, checkInt, err, optBool, optNumber, requiredError } from './common.ts'
import { ErrorCode } from '../../error-codes.ts'

export const DEFAULT_JSON_MAX_SIZE = 1 << 20

export const jsonMaxSize = (f: JsonField): number => (f.maxSize > 0 ? f.maxSize : DEFAULT_JSON_MAX_SIZE)

/** Parses JSON text; undefined when invalid (including stack overflow on absurdly deep nesting). */
function tryParse(text: string): { value: unknown } | undefined {
  try { return { value: JSON.parse(text) } } catch { return undefined }
}

/**
 * PocketBase's JSON setter, so form and JSON bodies behave alike: "null"/"true"/"false" and strings that are
 * valid JSON starting with a digit, `-`, `"`, `[` or `{` are decoded; any other string (including "") is kept
 * as a JSON string. Non-string input is copied through JSON (drops functions/undefined, NaN → null), so the
 * value is plain data: JSON.parse creates `__proto__` as an ordinary own key, never a prototype link.
 */
export function normalizeJson(raw: unknown): unknown {
  if (raw === undefined) return null
  if (typeof raw === 'string') {
    if (raw === 'null') return null
    if (raw === 'true') return true
    if (raw === 'false') return false
    if (/^[0-9\-"[{]/.test(raw)) {
      const parsed = tryParse(raw)
      if (parsed) return parsed.value
    }
    return raw
  }
  if (raw === null || typeof raw === 'boolean') return raw
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : null
  try {
    const text = JSON.stringify(raw)
    return text === undefined ? null : JSON.parse(text)
  } catch {
    return null // BigInt, cycles: not representable as JSON
  }
}

/** Serializes a normalized value; undefined if it cannot be represented. */
export function serializeJson(value: unknown): string | undefined {
  try { return JSON.stringify(value === undefined ? null : value) } catch { return undefined }
}

export const jsonKind: FieldKind<JsonField> = {
  type: 'json',
  withDefaults(input) {
    const i = input as Record<string, unknown>
    return { ...baseOf('json', i), required: optBool(i.required), maxSize: optNumber(i.maxSize) }
  },
  validateOptions(f) {
    const errors: Record<string, FieldError> = {}
    checkId(errors, f.id)
    checkInt(errors, 'maxSize', f.maxSize, 0)
    return errors
  },
  columnKind: () => 'json',
  zeroValue: () => null,
  normalize: (_f, raw) => normalizeJson(raw),
  validate(f, value) {
    const text = serializeJson(value)
    if (text === undefined) return err(ErrorCode.invalidJson, 'Must be a valid json value')
    const maxSize = jsonMaxSize(f)
    if (text.length * 3 > maxSize && Buffer.byteLength(text, 'utf8') > maxSize) {
      return err(ErrorCode.jsonSizeLimit, 'The maximum allowed JSON size is {{.maxSize}} bytes', { maxSize })
    }
    if (f.required && (text === 'null' || text === '""' || text === '[]' || text === '{}')) return requiredError()
    return null
  },
  fromDb(_f, raw) {
    if (raw == null) return null
    if (typeof raw !== 'string') return raw // e.g. a driver that already decoded JSON
    return tryParse(raw)?.value ?? null
  },
  toDb(_f, value) {
    if (value === null || value === undefined) return null
    return serializeJson(value) ?? null
  },
}
