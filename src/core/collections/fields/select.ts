// "select" field: one (maxSelect ≤ 1) or several values from a fixed `values` list.
import type { FieldError } from '../../errors.ts'
import type { SelectField } from '../types.ts'
import type { FieldKind } from './kind.ts'
import {
  baseOf, checkId, checkInt, err, isMultiple, listFromDb, listToDb, normalizeList, optBool, optNumber,
  optStringList, requiredError, toUniqueStrings,
} from './common.ts'
import { ErrorCode } from '../../error-codes.ts'

export const selectKind: FieldKind<SelectField> = {
  type: 'select',
  withDefaults(input) {
    const i = input as Record<string, unknown>
    return {
      ...baseOf('select', i),
      required: optBool(i.required),
      values: optStringList(i.values) ?? [],
      maxSelect: optNumber(i.maxSelect),
    }
  },
  validateOptions(f) {
    const errors: Record<string, FieldError> = {}
    checkId(errors, f.id)
    if (!f.values.length) errors.values = requiredError()
    else if (f.values.some((v) => v === '')) errors.values = err(ErrorCode.invalidValue, 'Values must not be empty')
    checkInt(errors, 'maxSelect', f.maxSelect, 0, Math.max(f.values.length, 1))
    return errors
  },
  columnKind: (f) => (isMultiple(f) ? 'jsonArray' : 'text'),
  zeroValue: (f) => (isMultiple(f) ? [] : ''),
  normalize: (f, raw) => normalizeList(f, raw),
  validate(f, value) {
    const list = toUniqueStrings(value)
    if (!list.length) return f.required ? requiredError() : null
    const maxSelect = Math.max(f.maxSelect, 1)
    if (list.length > maxSelect) return err(ErrorCode.tooManyValues, 'Select no more than {{.maxSelect}}', { maxSelect })
    const allowed = new Set(f.values)
    const bad = list.find((v) => !allowed.has(v))
    if (bad !== undefined) return err(ErrorCode.invalidValue, 'Invalid value {{.value}}', { value: bad })
    return null
  },
  fromDb: (f, raw) => listFromDb(f, raw),
  toDb: (f, value) => listToDb(f, value),
}
