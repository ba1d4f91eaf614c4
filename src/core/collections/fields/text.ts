// "text" field: plain string with rune-length bounds, optional regex pattern, autogeneration and the id primary key.
import type { FieldError } from '../../errors.ts'
import type { TextField } from '../types.ts'
import type { FieldKind } from './kind.ts'
import { baseOf, castString, checkId, checkInt, err, optBool, optNumber, optString, requiredError, textFromDb, unsupportedType } from './common.ts'
import { generateFromPattern, matchesPattern, patternProblem } from './regex.ts'
import { ErrorCode } from '../../error-codes.ts'

export { generateFromPattern }

export const DEFAULT_TEXT_MAX = 5000

/** Characters that must never appear in a primary key: ids end up in file paths and URLs. */
const FORBIDDEN_PK = /[./\\|"'`<>:?*%$\s\0]/
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[1-9]|lpt[1-9])$/i

/** Rune (code point) length, as Go's len([]rune(s)). */
export const runeLength = (s: string): number => {
  let n = 0
  for (const _ of s) n++
  return n
}

/** Shared by text and password: length bounds (counted in runes) and pattern. */
export function checkTextValue(value: string, min: number, max: number, pattern: string, maxMessage: string): FieldError | null {
  const length = runeLength(value)
  if (min > 0 && length < min) {
    return err(ErrorCode.minTextConstraint, 'Must be at least {{.min}} character(s)', { min })
  }
  if (max > 0 && length > max) return err(ErrorCode.maxTextConstraint, maxMessage, { max })
  if (pattern && !matchesPattern(pattern, value)) return err(ErrorCode.invalidFormat, 'Invalid value format')
  return null
}

function validatePlain(f: TextField, value: string): FieldError | null {
  if ((f.required || f.primaryKey) && value === '') return requiredError()
  if (value === '') return null
  return checkTextValue(value, f.min, f.max > 0 ? f.max : DEFAULT_TEXT_MAX, f.pattern, 'Must be no more than {{.max}} character(s)')
}

/** A fresh value for a text field's `autogeneratePattern` ('' if none or if the pattern is unusable). */
export function autogenerate(f: TextField, prefix = ''): string {
  if (!f.autogeneratePattern) return prefix
  try { return prefix + generateFromPattern(f.autogeneratePattern) } catch { return prefix }
}

export const textKind: FieldKind<TextField> = {
  type: 'text',
  withDefaults(input) {
    const i = input as Record<string, unknown>
    return {
      ...baseOf('text', i),
      required: optBool(i.required),
      min: optNumber(i.min),
      max: optNumber(i.max),
      pattern: optString(i.pattern),
      autogeneratePattern: optString(i.autogeneratePattern),
      primaryKey: optBool(i.primaryKey),
    }
  },
  validateOptions(f) {
    const errors: Record<string, FieldError> = {}
    checkId(errors, f.id)
    if (f.primaryKey && f.name !== 'id') errors.name = err(ErrorCode.inInvalid, 'The primary key must be named "id"')
    checkInt(errors, 'min', f.min, 0)
    checkInt(errors, 'max', f.max, f.min)
    if (f.primaryKey && !f.pattern) errors.pattern = requiredError()
    else if (f.pattern) {
      const problem = patternProblem(f.pattern)
      if (problem) errors.pattern = err(ErrorCode.invalidRegex, problem)
    }
    if (f.primaryKey && f.hidden) errors.hidden = err(ErrorCode.empty, 'Must be blank')
    if (f.primaryKey && !f.required) errors.required = requiredError()
    if (f.autogeneratePattern) {
      // like PocketBase: generate a few samples and check them against the field's own constraints
      for (let n = 0; n < 10 && !errors.autogeneratePattern; n++) {
        let sample: string
        try { sample = generateFromPattern(f.autogeneratePattern) } catch (e) {
          errors.autogeneratePattern = err(ErrorCode.invalidAutogeneratePattern, (e as Error).message)
          break
        }
        if (validatePlain(f, sample)) {
          errors.autogeneratePattern = err(ErrorCode.invalidAutogeneratePatternValue,
            `The provided autogenerate pattern could produce invalid field values, ex.: ${JSON.stringify(sample)}`)
        }
      }
    }
    return errors
  },
  columnKind: () => 'text',
  zeroValue: () => '',
  normalize: (_f, raw) => castString(raw),
  validate(f, value, ctx) {
    if (typeof value !== 'string') return unsupportedType()
    if (f.primaryKey) {
      // on update the record service keeps the stored id (PocketBase: validation_pk_change); nothing to re-check
      if (!ctx.isNew) return null
      const bad = FORBIDDEN_PK.exec(value)
      if (bad || WINDOWS_RESERVED.test(value)) {
        return err(ErrorCode.pkForbidden, 'The record primary key contains forbidden characters', { forbidden: bad ? bad[0] : value })
      }
    }
    return validatePlain(f, value)
  },
  fromDb: (_f, raw) => textFromDb(raw),
  toDb: (_f, value) => castString(value),
}
