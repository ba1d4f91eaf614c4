// "editor" field: rich-text (HTML) string limited by its UTF-8 byte size.
import type { FieldError } from '../../errors.ts'
import type { EditorField } from '../types.ts'
import type { FieldKind } from './kind.ts'
import { baseOf, castString, checkId, checkInt, err, optBool, optNumber, requiredError, textFromDb, unsupportedType } from './common.ts'
import { ErrorCode } from '../../error-codes.ts'

export const DEFAULT_EDITOR_MAX_SIZE = 5 << 20

export const editorMaxSize = (f: EditorField): number => (f.maxSize > 0 ? f.maxSize : DEFAULT_EDITOR_MAX_SIZE)

export const editorKind: FieldKind<EditorField> = {
  type: 'editor',
  withDefaults(input) {
    const i = input as Record<string, unknown>
    return {
      ...baseOf('editor', i),
      required: optBool(i.required),
      maxSize: optNumber(i.maxSize),
      convertURLs: optBool(i.convertURLs),
    }
  },
  validateOptions(f) {
    const errors: Record<string, FieldError> = {}
    checkId(errors, f.id)
    checkInt(errors, 'maxSize', f.maxSize, 0)
    return errors
  },
  columnKind: () => 'text',
  zeroValue: () => '',
  normalize: (_f, raw) => castString(raw),
  validate(f, value) {
    if (typeof value !== 'string') return unsupportedType()
    if (value === '') return f.required ? requiredError() : null
    const maxSize = editorMaxSize(f)
    // cheap pre-check: UTF-8 needs at most 3 bytes per UTF-16 unit, so short strings can skip the byte count
    if (value.length * 3 > maxSize && Buffer.byteLength(value, 'utf8') > maxSize) {
      return err(ErrorCode.contentSizeLimit, 'The maximum allowed content size is {{.maxSize}} bytes', { maxSize })
    }
    return null
  },
  fromDb: (_f, raw) => textFromDb(raw),
  toDb: (_f, value) => castString(value),
}
