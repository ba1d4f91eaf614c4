// "autodate" field: server-stamped datetime on create and/or update; clients can never write it.
import type { FieldError } from '../../errors.ts'
import { formatDate } from '../../clock.ts'
import type { AutodateField } from '../types.ts'
import type { FieldKind } from './kind.ts'
import { baseOf, checkId, err, optBool, textFromDb } from './common.ts'
import { normalizeDate } from './date.ts'
import { ErrorCode } from '../../error-codes.ts'

/**
 * The value to store when saving a record: `now` if the field fires for this operation (onCreate for inserts,
 * onUpdate for updates), otherwise the current value (normalized; '' for a new record without one).
 */
export function stamp(f: AutodateField, isNew: boolean, now: Date, current: unknown): string {
  if (isNew ? f.onCreate : f.onUpdate) return formatDate(now)
  return normalizeDate(current)
}

export const autodateKind: FieldKind<AutodateField> = {
  type: 'autodate',
  withDefaults(input) {
    const i = input as Record<string, unknown>
    return { ...baseOf('autodate', i), onCreate: optBool(i.onCreate), onUpdate: optBool(i.onUpdate) }
  },
  validateOptions(f) {
    const errors: Record<string, FieldError> = {}
    checkId(errors, f.id)
    // a field that never fires would stay '' forever, so PocketBase requires at least one trigger
    if (!f.onCreate && !f.onUpdate) {
      errors.onCreate = err(ErrorCode.required, 'Either onCreate or onUpdate must be enabled')
      errors.onUpdate = err(ErrorCode.required, 'Either onCreate or onUpdate must be enabled')
    }
    return errors
  },
  columnKind: () => 'text',
  zeroValue: () => '',
  /** Client input is ignored (PocketBase's setter is a no-op): callers must not assign this over the stored value; use stamp(). */
  normalize: () => '',
  validate: () => null,
  fromDb: (_f, raw) => textFromDb(raw),
  toDb: (_f, value) => normalizeDate(value),
}
