// "file" field: stored filename(s); uploads are handled by the record service, this checks names, counts and limits.
import type { FieldError } from '../../errors.ts'
import type { FileField } from '../types.ts'
import type { FieldKind } from './kind.ts'
import {
  baseOf, checkId, checkInt, err, isMultiple, listFromDb, listToDb, normalizeList, optBool, optNumber,
  optStringList, requiredError, toUniqueStrings,
} from './common.ts'
import { ErrorCode } from '../../error-codes.ts'

export const DEFAULT_FILE_MAX_SIZE = 5 << 20

/** Thumb sizes: WxH, WxHt, WxHb, WxHf, 0xH, Wx0 (0x0 in any form is meaningless). */
export const THUMB_SIZE = /^(\d+)x(\d+)(t|b|f)?$/

/** Per-file upload limit in bytes. */
export const maxFileSize = (f: FileField): number => (f.maxSize > 0 ? f.maxSize : DEFAULT_FILE_MAX_SIZE)

/** Effective maximum number of files (single fields hold one). */
export const maxFiles = (f: FileField): number => Math.max(f.maxSelect, 1)

/** Whether a (detected or declared) MIME type may be uploaded; parameters like `; charset=` are ignored. */
export function mimeAllowed(f: FileField, mime: string): boolean {
  if (!f.mimeTypes?.length) return true
  const m = mime.split(';')[0].trim().toLowerCase()
  return f.mimeTypes.some((t) => t.trim().toLowerCase() === m)
}

/** Stored filename sanity: 1–150 chars, no leading dot, no path separators (names become storage keys). */
export function checkFilename(name: string): FieldError | null {
  if (name.length < 1 || name.length > 150) {
    return err(ErrorCode.lengthOutOfRange, 'The length must be between 1 and 150', { min: 1, max: 150 })
  }
  if (name.startsWith('.') || /[/\\\0]/.test(name)) return err(ErrorCode.matchInvalid, 'Must be in a valid format')
  return null
}

export const fileKind: FieldKind<FileField> = {
  type: 'file',
  withDefaults(input) {
    const i = input as Record<string, unknown>
    return {
      ...baseOf('file', i),
      required: optBool(i.required),
      maxSelect: optNumber(i.maxSelect),
      maxSize: optNumber(i.maxSize),
      mimeTypes: optStringList(i.mimeTypes),
      thumbs: optStringList(i.thumbs),
      protected: optBool(i.protected),
    }
  },
  validateOptions(f) {
    const errors: Record<string, FieldError> = {}
    checkId(errors, f.id)
    checkInt(errors, 'maxSelect', f.maxSelect, 0)
    checkInt(errors, 'maxSize', f.maxSize, 0)
    const badThumb = (f.thumbs ?? []).findIndex((t) => {
      const m = THUMB_SIZE.exec(t)
      return !m || (m[1] === '0' && m[2] === '0')
    })
    if (badThumb >= 0) {
      errors.thumbs = err(ErrorCode.invalidThumbSize, 'Invalid thumb size {{.value}}', { index: badThumb, value: f.thumbs![badThumb] })
    }
    return errors
  },
  columnKind: (f) => (isMultiple(f) ? 'jsonArray' : 'text'),
  zeroValue: (f) => (isMultiple(f) ? [] : ''),
  normalize: (f, raw) => normalizeList(f, raw),
  validate(f, value) {
    const names = toUniqueStrings(value)
    if (!names.length) return f.required ? requiredError() : null
    const maxSelect = maxFiles(f)
    if (names.length > maxSelect) {
      return err(ErrorCode.tooManyFiles, 'The maximum allowed files is {{.maxSelect}}', { maxSelect })
    }
    for (const name of names) {
      const e = checkFilename(name)
      if (e) return e
    }
    return null
  },
  fromDb: (f, raw) => listFromDb(f, raw),
  toDb: (f, value) => listToDb(f, value),
}
