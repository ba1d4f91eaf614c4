// "date" field: datetimes normalized to PocketBase's `YYYY-MM-DD HH:MM:SS.mmmZ` UTC layout ('' when empty/invalid).
import type { FieldError } from '../../errors.ts'
import { formatDate } from '../../clock.ts'
import type { DateField } from '../types.ts'
import type { FieldKind } from './kind.ts'
import { baseOf, checkId, err, optBool, optString, requiredError, textFromDb, unsupportedType } from './common.ts'
import { ErrorCode } from '../../error-codes.ts'

/**
 * Accepted input: the PocketBase layout, RFC 3339 / ISO 8601 (`T` or space separator, optional seconds and
 * fraction, `Z` or ±hh[:]mm offset, optionally space-separated), and a bare `YYYY-MM-DD`. Inputs without a
 * zone are UTC. Fractions beyond milliseconds are truncated (the layout keeps ms).
 */
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)? ?(Z|[+-]\d{2}:?\d{2})?)?$/i

/** Parses a datetime string to epoch ms, or undefined when invalid (including impossible dates like 02-30). */
export function parseDateMs(text: string): number | undefined {
  const m = DATE_RE.exec(text.trim())
  if (!m) return undefined
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone = ''] = m
  const [Y, M, D, H, Mi, S] = [y, mo, d, h, mi, s].map(Number)
  if (M < 1 || M > 12 || D < 1 || H > 23 || Mi > 59 || S > 59) return undefined
  // setUTCFullYear instead of Date.UTC: the latter maps years 0–99 to 1900+
  const dt = new Date(0)
  dt.setUTCFullYear(Y, M - 1, D)
  dt.setUTCHours(H, Mi, S, Number((frac + '000').slice(0, 3)))
  if (dt.getUTCDate() !== D) return undefined // day overflowed into the next month
  let offsetMin = 0
  if (zone && zone.toUpperCase() !== 'Z') {
    const z = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)!
    const oh = Number(z[2]), om = Number(z[3])
    if (oh > 23 || om > 59) return undefined
    offsetMin = (z[1] === '-' ? -1 : 1) * (oh * 60 + om)
  }
  const ms = dt.getTime() - offsetMin * 60_000
  const year = new Date(ms).getUTCFullYear()
  return year >= 0 && year <= 9999 ? ms : undefined
}

/** Any raw input → the canonical layout, or '' (invalid input is dropped, like PocketBase's setter). */
export function normalizeDate(raw: unknown): string {
  if (raw instanceof Date) {
    const t = raw.getTime()
    if (Number.isNaN(t)) return ''
    const y = raw.getUTCFullYear()
    return y >= 0 && y <= 9999 ? formatDate(raw) : ''
  }
  // numbers are not timestamps here: Go's cast rejects float64 (what JSON numbers decode to), so PB yields ''
  if (typeof raw !== 'string' || raw === '') return ''
  const ms = parseDateMs(raw)
  return ms === undefined ? '' : formatDate(new Date(ms))
}

export const dateKind: FieldKind<DateField> = {
  type: 'date',
  withDefaults(input) {
    const i = input as Record<string, unknown>
    // keep unparseable bounds verbatim so validateOptions can report them instead of silently dropping them
    const bound = (v: unknown) => normalizeDate(v) || optString(v)
    return { ...baseOf('date', i), required: optBool(i.required), min: bound(i.min), max: bound(i.max) }
  },
  validateOptions(f) {
    const errors: Record<string, FieldError> = {}
    checkId(errors, f.id)
    const invalid = () => err(ErrorCode.dateInvalid, 'Must be a valid date')
    if (f.min && !normalizeDate(f.min)) errors.min = invalid()
    if (f.max && !normalizeDate(f.max)) errors.max = invalid()
    else if (f.min && f.max && !errors.min && normalizeDate(f.max) < normalizeDate(f.min)) {
      errors.max = err(ErrorCode.dateOutOfRange, 'The date is out of range')
    }
    return errors
  },
  columnKind: () => 'text',
  zeroValue: () => '',
  normalize: (_f, raw) => normalizeDate(raw),
  validate(f, value) {
    if (typeof value !== 'string') return unsupportedType()
    if (value === '') return f.required ? requiredError() : null
    const v = normalizeDate(value)
    if (!v) return err(ErrorCode.dateInvalid, 'Must be a valid date')
    // the fixed-width layout sorts lexically in time order
    const min = normalizeDate(f.min)
    if (min && v < min) return err(ErrorCode.minGreaterEqualThanRequired, 'Must be no less than {{.threshold}}', { threshold: min })
    const max = normalizeDate(f.max)
    if (max && v > max) return err(ErrorCode.maxLessEqualThanRequired, 'Must be no greater than {{.threshold}}', { threshold: max })
    return null
  },
  fromDb: (_f, raw) => textFromDb(raw),
  toDb: (_f, value) => (typeof value === 'string' ? value : normalizeDate(value)),
}
