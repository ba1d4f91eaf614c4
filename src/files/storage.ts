// File storage contract shared by local (and future remote) backends, plus the storage-key rules.

/**
 * Blob store addressed by keys of the form `<collectionId>/<recordId>/<filename>` (thumbs:
 * `<collectionId>/<recordId>/thumbs_<filename>/<WxH>_<filename>`).
 *
 * Contract:
 * - `put` is atomic per key: readers see the old content or the complete new one, never a partial file.
 *   On failure (including a stream error) nothing is left under the key.
 * - `get` returns null for a missing key; the returned stream holds an open handle, so callers must
 *   consume or destroy it. `delete` of a missing key is a no-op.
 * - `deletePrefix(p)` removes every key that starts with `p` (`p` must be non-empty).
 * - Keys are validated with `assertValidKey`; invalid keys throw `InvalidStorageKeyError` (programming
 *   error or hostile input — never silently mapped elsewhere).
 *
 * NOT in the contract (callers must not rely on it):
 * - Authorization, protected-file tokens, thumbnails, MIME detection or response headers (see serve.ts).
 * - Size limits — enforce them before or while streaming into `put`.
 * - Transactions with the database: writing the record and its files is not atomic; callers must
 *   clean up files when the DB write fails and delete files only after the DB commit.
 * - Content type metadata, or ordering between concurrent puts to one key (last write wins).
 * - Durability across power loss beyond what the backend documents.
 * - Listing order beyond "sorted by key", and consistency of `list` with puts that are still running.
 */
export interface FileStorage {
  put(key: string, data: Buffer | NodeJS.ReadableStream): Promise<void>
  /**
   * Content of a key, or null when missing. With `range` (inclusive byte offsets, already checked by
   * the caller against `stat().size`) the stream holds only those bytes; `size` is always the whole size.
   */
  get(key: string, opts?: { range?: ByteRange }): Promise<StoredFile | null>
  /** Size and modification time of a key, or null when missing (no content is opened). */
  stat(key: string): Promise<FileStat | null>
  delete(key: string): Promise<void>
  deletePrefix(prefix: string): Promise<void>
  /** Every key starting with `prefix` (files only, thumbs included), sorted by key. */
  list(prefix: string): Promise<(FileStat & { key: string })[]>
}

export interface FileStat { size: number; modified: Date }
export interface StoredFile extends FileStat { stream: NodeJS.ReadableStream }
/** Inclusive byte offsets, as in an HTTP `Range: bytes=start-end` header. */
export interface ByteRange { start: number; end: number }

export class InvalidStorageKeyError extends Error {
  constructor(key: string, reason: string) {
    super(`invalid storage key ${JSON.stringify(key.slice(0, 200))}: ${reason}`)
    this.name = 'InvalidStorageKeyError'
  }
}

/**
 * One key segment: starts with [A-Za-z0-9_] (so never `.`/`..`, never a hidden/temp file name) followed
 * by a conservative charset that covers PocketBase ids (`_pb_users_auth_`, `pbc_123`), generated file
 * names and thumb sizes (`100x100t_…`). No separators, whitespace, `%`, `:` or control characters.
 */
const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_.+=-]{0,254}$/
export const MAX_KEY_LENGTH = 1024

/** Throws InvalidStorageKeyError unless `key` is a relative, `/`-separated path of safe segments. */
export function assertValidKey(key: string, opts: { allowTrailingSlash?: boolean } = {}): string[] {
  if (typeof key !== 'string') throw new InvalidStorageKeyError(String(key), 'not a string')
  if (key.length === 0 || key.length > MAX_KEY_LENGTH) throw new InvalidStorageKeyError(key, 'bad length')
  if (key.includes('\0')) throw new InvalidStorageKeyError(key, 'NUL byte')
  if (key.includes('\\')) throw new InvalidStorageKeyError(key, 'backslash')
  if (key.startsWith('/')) throw new InvalidStorageKeyError(key, 'absolute path')
  const body = opts.allowTrailingSlash && key.endsWith('/') ? key.slice(0, -1) : key
  const segments = body.split('/')
  for (const s of segments) {
    if (s === '') throw new InvalidStorageKeyError(key, 'empty segment')
    if (s === '.' || s === '..' || s.includes('..')) throw new InvalidStorageKeyError(key, 'dot segment')
    if (!SEGMENT.test(s)) throw new InvalidStorageKeyError(key, 'disallowed characters')
  }
  return segments
}

/** Key for a record file, validating each part. */
export function fileKey(collectionId: string, recordId: string, filename: string): string {
  const key = `${collectionId}/${recordId}/${filename}`
  assertValidKey(key)
  if (key.split('/').length !== 3) throw new InvalidStorageKeyError(key, 'expected 3 segments')
  return key
}

/** Prefix covering all files (and thumbs) of a record: `<collectionId>/<recordId>/`. */
export function recordPrefix(collectionId: string, recordId: string): string {
  const p = `${collectionId}/${recordId}/`
  if (assertValidKey(p, { allowTrailingSlash: true }).length !== 2) throw new InvalidStorageKeyError(p, 'expected 2 segments')
  return p
}
