// "password" field: write-only secret; validates the plain candidate (the record service hashes it with argon2).
import type { FieldError } from '../../errors.ts'
import type { PasswordField } from '../types.ts'
import type { FieldKind } from './kind.ts'
import { baseOf, castString, checkId, checkInt, err, optBool, optNumber, optString, requiredError, textFromDb, unsupportedType } from './common.ts'
import { patternProblem } from './regex.ts'
import { checkTextValue } from './text.ts'
import { ErrorCode } from '../../error-codes.ts'

/** PocketBase's bcrypt input limit; kept for API compatibility even though Basalt hashes with argon2. */
export const PASSWORD_MAX = 71
export const DEFAULT_PASSWORD_MIN = 8

export const passwordKind: FieldKind<PasswordField> = {
  type: 'password',
  withDefaults(input) {
    const i = input as Record<string, unknown>
    return {
      ...baseOf('password', i),
      required: optBool(i.required),
      min: optNumber(i.min, DEFAULT_PASSWORD_MIN),
      max: optNumber(i.max),
      pattern: optString(i.pattern),
      cost: optNumber(i.cost),
    }
  },
  validateOptions(f) {
    const errors: Record<string, FieldError> = {}
    checkId(errors, f.id)
    checkInt(errors, 'min', f.min, 1, PASSWORD_MAX)
    checkInt(errors, 'max', f.max, Math.max(f.min, 1), PASSWORD_MAX)
    // bcrypt's cost range; kept so PocketBase collection JSON validates the same way
    checkInt(errors, 'cost', f.cost, 4, 31)
    if (f.pattern) {
      const problem = patternProblem(f.pattern)
      if (problem) errors.pattern = err(ErrorCode.invalidRegex, problem)
    }
    return errors
  },
  columnKind: () => 'text',
  zeroValue: () => '',
  normalize: (_f, raw) => castString(raw),
  /** Validates a new plain-text password; the record service must skip this when the password is unchanged. */
  validate(f, value) {
    if (typeof value !== 'string') return unsupportedType()
    if (value === '') return f.required ? requiredError() : null
    const max = f.max > 0 ? f.max : PASSWORD_MAX
    return checkTextValue(value, f.min, max, f.pattern, 'Must be less than {{.max}} character(s)')
  },
  /** Returns the stored hash; never expose it in API output (the record service hides password fields). */
  fromDb: (_f, raw) => textFromDb(raw),
  toDb: (_f, value) => castString(value),
}
