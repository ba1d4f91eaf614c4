// Field type registry: one FieldKind per PocketBase field type, plus field name/id helpers and body modifiers.
import type { FieldError } from '../../errors.ts'
import { autodateKind } from './autodate.ts'
import { boolKind } from './bool.ts'
import { err } from './common.ts'
import { dateKind } from './date.ts'
import { editorKind } from './editor.ts'
import { emailKind } from './email.ts'
import { fileKind } from './file.ts'
import { geoPointKind } from './geo-point.ts'
import { jsonKind } from './json.ts'
import type { FieldKind } from './kind.ts'
import { numberKind } from './number.ts'
import { passwordKind } from './password.ts'
import { relationKind } from './relation.ts'
import { selectKind } from './select.ts'
import { textKind } from './text.ts'
import { urlKind } from './url.ts'
import { ErrorCode } from '../../error-codes.ts'

export type { FieldKind, FieldValidationContext, OptionsLookup } from './kind.ts'
export { applyModifier, parseModifierKey, type ModifierOp } from './modifiers.ts'
export { crc32, defaultFieldId } from './field-id.ts'
export { autogenerate, generateFromPattern, runeLength, DEFAULT_TEXT_MAX } from './text.ts'
export { stamp } from './autodate.ts'
export { normalizeDate, parseDateMs } from './date.ts'
export { castNumber } from './number.ts'
export { castBool } from './bool.ts'
export { castString, isMultiple, toUniqueStrings } from './common.ts'
export { normalizeJson, jsonMaxSize, DEFAULT_JSON_MAX_SIZE } from './json.ts'
export { editorMaxSize, DEFAULT_EDITOR_MAX_SIZE } from './editor.ts'
export { checkFilename, maxFileSize, maxFiles, mimeAllowed, THUMB_SIZE, DEFAULT_FILE_MAX_SIZE } from './file.ts'
export { isEmail } from './email.ts'
export { urlHost } from './url.ts'
export { PASSWORD_MAX, DEFAULT_PASSWORD_MIN } from './password.ts'
export { MAX_PATTERN_LENGTH, matchesPattern, patternProblem } from './regex.ts'

const KINDS: Record<string, FieldKind> = Object.create(null)
for (const kind of [
  textKind, numberKind, boolKind, emailKind, urlKind, editorKind, dateKind, autodateKind,
  selectKind, relationKind, jsonKind, fileKind, passwordKind, geoPointKind,
] as FieldKind[]) KINDS[kind.type] = kind

export const FIELD_TYPES: readonly string[] = Object.freeze(Object.keys(KINDS))

/** The kind for a field type; undefined for unknown types (the prototype-less map ignores "__proto__" etc.). */
export function fieldKind(type: string): FieldKind | undefined {
  return KINDS[type]
}

const RESERVED = ['null', 'true', 'false', '_rowid_', 'collectionId', 'collectionName', 'expand']
const RESERVED_AUTH = ['passwordConfirm', 'oldPassword']

/**
 * PocketBase's field name rule: ^\w+$, 1–100 chars, not a filter literal/system key, no `_via_`
 * (it would collide with back-relation syntax). Reserved names are matched case-insensitively because
 * SQLite column names are.
 */
export function validateFieldName(name: string, isAuth: boolean): FieldError | null {
  if (typeof name !== 'string' || name === '') return err(ErrorCode.required, 'Cannot be blank')
  if (name.length > 100) return err(ErrorCode.lengthOutOfRange, 'The length must be between 1 and 100', { min: 1, max: 100 })
  if (!/^\w+$/.test(name)) return err(ErrorCode.matchInvalid, 'Must be in a valid format')
  const lower = name.toLowerCase()
  const reserved = isAuth ? [...RESERVED, ...RESERVED_AUTH] : RESERVED
  if (reserved.some((r) => r.toLowerCase() === lower)) return err(ErrorCode.notInInvalid, 'Must not be in list')
  if (lower.includes('_via_')) return err(ErrorCode.foundVia, 'The value cannot contain "_via_"')
  return null
}
