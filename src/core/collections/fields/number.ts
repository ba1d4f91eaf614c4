// "number" field: finite float64 with optional integer-only and min/max bounds.
import type { FieldError } from '../../errors.ts'
import type { NumberField } from '../types.ts'
import type { FieldKind } from './kind.ts'
import { baseOf, checkId, err, formatFloat, optBool, optNullableNumber, requiredError, unsupportedType } from './common.ts'
import { ErrorCode } from '../../error-codes.ts'

const NUMERIC = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/
const SPECIAL = /^[+-]?(inf|infinity|nan)$/i

/**
 * Parses a numeric string like Go's strconv.ParseFloat; returns undefined for garbage.
 * Overflow ("1e400") is a parse error in Go (so it becomes 0), while explicit "Inf"/"NaN" parse and are later
 * rejected by validation as not-a-number.
 */
export function parseNumber(s: string): number | undefined {
  if (NUMERIC.test(s)) {
    const n = Number(s)
    return Number.isFinite(n) ? n : undefined
  }
  const special = SPECIAL.exec(s)
  if (special) return special[1].toLowerCase() === 'nan' ? NaN : s.startsWith('-') ? -Infinity : Infinity
  return undefined
}

/** spf13/cast ToFloat64: numbers pass, numeric strings parse, booleans are 1/0, everything else is 0. */
export function castNumber(raw: unknown): number {
  if (typeof raw === 'number') return raw
  if (typeof raw === 'boolean') return raw ? 1 : 0
  if (typeof raw === 'bigint') return Number(raw)
  if (typeof raw === 'string') return parseNumber(raw) ?? 0
  return 0
}

const isInt = (n: number) => Number.isInteger(n)

export const numberKind: FieldKind<NumberField> = {
  type: 'number',
  withDefaults(input) {
    const i = input as Record<string, unknown>
    return {
      ...baseOf('number', i),
      required: optBool(i.required),
      min: optNullableNumber(i.min),
      max: optNullableNumber(i.max),
      onlyInt: optBool(i.onlyInt),
    }
  },
  validateOptions(f) {
    const errors: Record<string, FieldError> = {}
    checkId(errors, f.id)
    const intErr = () => err(ErrorCode.onlyIntConstraint, 'Decimal numbers are not allowed')
    if (f.min !== null && f.onlyInt && !isInt(f.min)) errors.min = intErr()
    if (f.max !== null && f.onlyInt && !isInt(f.max)) errors.max = intErr()
    else if (f.min !== null && f.max !== null && f.max < f.min) {
      errors.max = err(ErrorCode.minGreaterEqualThanRequired, 'Must be no less than {{.threshold}}', { threshold: f.min })
    }
    return errors
  },
  columnKind: () => 'number',
  zeroValue: () => 0,
  normalize: (_f, raw) => castNumber(raw),
  validate(f, value) {
    if (typeof value !== 'number') return unsupportedType()
    if (!Number.isFinite(value)) return err(ErrorCode.notANumber, 'The submitted number is not properly formatted')
    // PocketBase treats 0 as "empty": required rejects it and the other constraints are skipped
    if (value === 0) return f.required ? requiredError() : null
    if (f.onlyInt && !isInt(value)) return err(ErrorCode.onlyIntConstraint, 'Decimal numbers are not allowed')
    if (f.min !== null && value < f.min) {
      return err(ErrorCode.minNumberConstraint, `Must be larger than ${formatFloat(f.min)}`, { min: f.min })
    }
    if (f.max !== null && value > f.max) {
      return err(ErrorCode.maxNumberConstraint, `Must be less than ${formatFloat(f.max)}`, { max: f.max })
    }
    return null
  },
  fromDb(_f, raw) {
    const n = castNumber(raw)
    return Number.isFinite(n) ? n : 0
  },
  toDb(_f, value) {
    const n = castNumber(value)
    return Number.isFinite(n) ? n : 0
  },
}
