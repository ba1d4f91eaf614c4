// "bool" field: Go-style bool cast; `required` means the value must be true.
import type { FieldError } from '../../errors.ts'
import type { BoolField } from '../types.ts'
import type { FieldKind } from './kind.ts'
import { baseOf, checkId, optBool, requiredError, unsupportedType } from './common.ts'

const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True'])

/** spf13/cast ToBool: strconv.ParseBool spellings for strings, non-zero for numbers, false otherwise. */
export function castBool(raw: unknown): boolean {
  if (typeof raw === 'boolean') return raw
  if (typeof raw === 'number') return raw !== 0 && !Number.isNaN(raw)
  if (typeof raw === 'bigint') return raw !== 0n
  if (typeof raw === 'string') return TRUE.has(raw.trim())
  return false
}

export const boolKind: FieldKind<BoolField> = {
  type: 'bool',
  withDefaults(input) {
    const i = input as Record<string, unknown>
    return { ...baseOf('bool', i), required: optBool(i.required) }
  },
  validateOptions(f) {
    const errors: Record<string, FieldError> = {}
    checkId(errors, f.id)
    return errors
  },
  columnKind: () => 'bool',
  zeroValue: () => false,
  normalize: (_f, raw) => castBool(raw),
  validate(f, value) {
    if (typeof value !== 'boolean') return unsupportedType()
    return f.required && !value ? requiredError() : null
  },
  fromDb: (_f, raw) => castBool(raw),
  toDb: (_f, value) => (castBool(value) ? 1 : 0),
}
