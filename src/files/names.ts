// Stored file names per PocketBase (snake_case base + 10 random chars + sanitized extension), safe against hostile uploads.
import { lowerAlnum, randomString } from '../core/ids.ts'

export const MAX_BASE_LENGTH = 100
export const RANDOM_SUFFIX_LENGTH = 10
export const MAX_EXT_LENGTH = 20

const defaultRandom = () => randomString(RANDOM_SUFFIX_LENGTH, lowerAlnum)

/**
 * PocketBase's inflector.Snakecase: split on runs of non-[A-Za-z0-9] (Go's `\W` is ASCII-only, so
 * non-ASCII letters are separators too), insert `_` before an upper-case letter that follows a
 * non-upper one (`myFile` → `my_file`, `HTTPServer` → `httpserver`), lower-case everything.
 */
export function snakeCase(s: string): string {
  const words = s.split(/[^A-Za-z0-9]+/).filter(Boolean)
  return words
    .map((w) => w.replace(/(?<=[^A-Z])([A-Z])/g, '_$1'))
    .join('_')
    .toLowerCase()
}

/**
 * Server-side name for an uploaded file: `<snake_base ≤100>_<10 × [a-z0-9]>[.<ext>]`.
 * Only the last path component of the client name counts (`../../etc/passwd` → `passwd_…`,
 * `C:\x.png` → `x_….png`). The extension is lower-cased and reduced to [a-z0-9] (≤ 20 chars);
 * when nothing is left the result has no extension and the caller may derive one from the content
 * (see `extensionForMime`). The result always matches `isValidStoredName`.
 */
export function storedFileName(originalName: string, random: () => string = defaultRandom): string {
  const suffix = random()
  if (!new RegExp(`^[a-z0-9]{${RANDOM_SUFFIX_LENGTH}}$`).test(suffix)) {
    throw new TypeError(`random suffix must be ${RANDOM_SUFFIX_LENGTH} chars of [a-z0-9]`)
  }
  let name = typeof originalName === 'string' ? originalName : ''
  // `%00` is the classic "x.php%00.png" truncation trick; control chars include a real NUL.
  name = name.replace(/%00/g, '').replace(/[\u0000-\u001f\u007f-\u009f]/g, '')
  // Browsers/OSes may send full paths; both separators count since the name may come from Windows.
  name = name.slice(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1).trim()

  let base = name
  let ext = ''
  const dot = name.lastIndexOf('.')
  // dot > 0: a leading dot (".bashrc") is part of the name, not an extension.
  if (dot > 0) {
    base = name.slice(0, dot)
    ext = name.slice(dot + 1).toLowerCase().replace(/[^a-z0-9]/g, '')
    // An overlong "extension" is not one; keeping its tail (as PocketBase does) could fabricate e.g. "html".
    if (ext.length > MAX_EXT_LENGTH) ext = ''
  }

  let snake = snakeCase(base).slice(0, MAX_BASE_LENGTH).replace(/_+$/, '')
  if (!snake) snake = 'file'
  return `${snake}_${suffix}${ext ? '.' + ext : ''}`
}

/**
 * Whether `name` is acceptable as a stored file name (and therefore as the last storage-key segment
 * and a Content-Disposition value). Accepts everything `storedFileName` produces plus names created
 * by PocketBase itself (upper-case or `-+=` characters may appear there), but never separators,
 * `..`, leading dots, whitespace or control characters.
 */
export function isValidStoredName(name: string): boolean {
  return (
    typeof name === 'string' &&
    name.length > 0 &&
    name.length <= 255 &&
    /^[A-Za-z0-9_][A-Za-z0-9_.+=-]*$/.test(name) &&
    !name.includes('..') &&
    !name.endsWith('.')
  )
}

/** Lower-case extension of a name (without the dot), or '' if none. */
export function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.')
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : ''
}
