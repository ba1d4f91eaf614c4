// An uploaded file as the record write path sees it: bytes in memory, or spooled to a temp file by the HTTP layer.
import fs from 'node:fs'
import type { Readable } from 'node:stream'

/** Bytes kept in memory for content sniffing (src/files/sniff.ts reads at most this much). */
export const SNIFF_BYTES = 4096

export interface SpooledContent {
  /** Temp file holding the upload (removed by whoever spooled it, on every path). */
  path: string
  /** Bytes received for this part; more than were written when the upload went past its field's limit. */
  size: number
  /** The first SNIFF_BYTES bytes, for content-type checks without reading the file back. */
  head: Buffer
  /** True when the part passed its field's maxSize: nothing past the limit was kept, the file is unusable. */
  truncated: boolean
}

/**
 * Multipart uploads arrive spooled (`spooled`); files made in code (OAuth2 avatars, hooks, tests) carry
 * their bytes (`data`). Read them through the helpers below, never `data` directly.
 */
export type UploadedFile = { filename: string; mimetype: string } & ({ data: Buffer; spooled?: undefined } | { data?: undefined; spooled: SpooledContent })

export const uploadSize = (f: UploadedFile): number => (f.spooled ? f.spooled.size : f.data!.length)

export const uploadHead = (f: UploadedFile): Buffer => (f.spooled ? f.spooled.head : f.data!.subarray(0, SNIFF_BYTES))

/** The content to store: the buffer, or a stream of the spooled file. */
export function uploadContent(f: UploadedFile): Buffer | Readable {
  if (!f.spooled) return f.data!
  if (f.spooled.truncated) throw new Error(`upload "${f.filename}" went past its size limit and was not kept`)
  return fs.createReadStream(f.spooled.path)
}
