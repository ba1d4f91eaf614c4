// "relation" field: one or several record ids of the target collection, checked for existence.
import type { FieldError } from '../../errors.ts'
import type { RelationField } from '../types.ts'
import type { FieldKind } from './kind.ts'
import {
  baseOf, checkId, checkInt, err, isMultiple, listFromDb, listToDb, normalizeList, optBool, optNumber, optString,
  requiredError, toUniqueStrings,
} from './common.ts'
import { ErrorCode } from '../../error-codes.ts'

/**
 * Shape of an id that could exist. Record ids are `[a-z0-9]{15}` by default and custom id patterns may not
 * contain path/quote characters (see text.ts), so anything else cannot match a row and is rejected without
 * a query (also keeps oversized junk out of the IN list).
 */
const ID_SHAPE = /^[\w-]{1,255}$/

const missing = () => err(ErrorCode.missingRelRecords, 'Failed to find all relation records with the provided ids')

export const relationKind: FieldKind<RelationField> = {
  type: 'relation',
  withDefaults(input) {
    const i = input as Record<string, unknown>
    return {
      ...baseOf('relation', i),
      required: optBool(i.required),
      collectionId: optString(i.collectionId),
      cascadeDelete: optBool(i.cascadeDelete),
      minSelect: optNumber(i.minSelect),
      maxSelect: optNumber(i.maxSelect),
    }
  },
  validateOptions(f, lookup) {
    const errors: Record<string, FieldError> = {}
    checkId(errors, f.id)
    if (!f.collectionId) errors.collectionId = requiredError()
    else if (lookup.find(f.collectionId)?.id !== f.collectionId) {
      // must reference by id (a name would break on rename), like PocketBase
      errors.collectionId = err(ErrorCode.fieldRelationMissingCollection, "The relation collection doesn't exist")
    }
    checkInt(errors, 'minSelect', f.minSelect, 0)
    if (f.minSelect > 0 && f.maxSelect === 0) errors.maxSelect = requiredError()
    else checkInt(errors, 'maxSelect', f.maxSelect, Math.max(f.minSelect, 0))
    return errors
  },
  columnKind: (f) => (isMultiple(f) ? 'jsonArray' : 'text'),
  zeroValue: (f) => (isMultiple(f) ? [] : ''),
  normalize: (f, raw) => normalizeList(f, raw),
  async validate(f, value, ctx) {
    const ids = toUniqueStrings(value)
    if (!ids.length) return f.required ? requiredError() : null
    if (f.minSelect > 0 && ids.length < f.minSelect) {
      return err(ErrorCode.notEnoughValues, 'Select at least {{.minSelect}}', { minSelect: f.minSelect })
    }
    const maxSelect = Math.max(f.maxSelect, 1)
    if (ids.length > maxSelect) return err(ErrorCode.tooManyValues, 'Select no more than {{.maxSelect}}', { maxSelect })
    if (!ids.every((id) => ID_SHAPE.test(id))) return missing()
    if (!ctx.existingIds) return null // caller opted out of the existence check (e.g. trusted internal writes)
    const found = await ctx.existingIds(f.collectionId, ids)
    return ids.every((id) => found.has(id)) ? null : missing()
  },
  fromDb: (f, raw) => listFromDb(f, raw),
  toDb: (f, value) => listToDb(f, value),
}
