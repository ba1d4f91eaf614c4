// Thumbnails with PocketBase's semantics: allowed sizes, crop modes, storage keys; made with sharp, once per key.
import type { FileField } from '../core/collections/types.ts'
import { THUMB_SIZE } from '../core/collections/fields/file.ts'
import { extensionOf } from './names.ts'
import type { FileStorage } from './storage.ts'

/** Always allowed, whatever the field lists (PocketBase's default admin-UI preview size). */
export const DEFAULT_THUMB = '100x100'

/** Originals that get thumbnails (by extension; upload-time sniffing keeps extension and content in agreement). */
const THUMB_FORMATS: Readonly<Record<string, 'png' | 'jpeg' | 'gif' | 'webp'>> = { png: 'png', jpg: 'jpeg', jpeg: 'jpeg', gif: 'gif', webp: 'webp' }

/** Decompression-bomb guard: bigger originals are served as they are, never decoded. */
const MAX_INPUT_PIXELS = 50_000_000

export interface ThumbSpec { width: number; height: number; mode: 'center' | 'top' | 'bottom' | 'fit' }

/** `WxH[t|b|f]`, `0xH`, `Wx0` → spec; null for anything else (including `0x0`). */
export function parseThumbSize(size: string): ThumbSpec | null {
  const m = THUMB_SIZE.exec(size)
  if (!m) return null
  const width = Number(m[1]), height = Number(m[2])
  if ((!width && !height) || width > 10_000 || height > 10_000) return null
  const mode = ({ t: 'top', b: 'bottom', f: 'fit' } as const)[m[3] as 't' | 'b' | 'f'] ?? 'center'
  return { width, height, mode }
}

/**
 * The thumb size to serve for `?thumb=`, or null to serve the original: only `100x100` and the sizes
 * the field lists, and only for png/jpg/gif/webp originals (PocketBase: anything else falls back).
 */
export function servableThumb(field: FileField, filename: string, size: unknown): string | null {
  if (typeof size !== 'string' || !size) return null
  if (size !== DEFAULT_THUMB && !(field.thumbs ?? []).includes(size)) return null
  if (!THUMB_FORMATS[extensionOf(filename)] || !parseThumbSize(size)) return null
  return size
}

/** PocketBase's layout: `<collectionId>/<recordId>/thumbs_<filename>/<size>_<filename>`. */
export function thumbKey(originalKey: string, size: string): string {
  const slash = originalKey.lastIndexOf('/')
  const filename = originalKey.slice(slash + 1)
  return `${originalKey.slice(0, slash)}/thumbs_${filename}/${size}_${filename}`
}

/** Resizes an image buffer per spec, keeping its format (animated GIF/WebP → first frame). */
export async function renderThumb(original: Buffer, filename: string, spec: ThumbSpec): Promise<Buffer> {
  const format = THUMB_FORMATS[extensionOf(filename)]
  // Loaded on the first thumbnail: sharp (libvips) costs ~25 MB of memory a server without images never needs.
  const { default: sharp } = await import('sharp')
  const img = sharp(original, { limitInputPixels: MAX_INPUT_PIXELS, animated: false }).rotate()
  if (!spec.width || !spec.height) {
    img.resize({ width: spec.width || undefined, height: spec.height || undefined })
  } else if (spec.mode === 'fit') {
    img.resize({ width: spec.width, height: spec.height, fit: 'inside', withoutEnlargement: true })
  } else {
    img.resize({ width: spec.width, height: spec.height, fit: 'cover', position: spec.mode === 'center' ? 'centre' : spec.mode })
  }
  return img.toFormat(format).toBuffer()
}

async function readAll(s: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const c of s as AsyncIterable<Buffer>) chunks.push(Buffer.from(c))
  return Buffer.concat(chunks)
}

/**
 * Makes thumbs on first request and keeps them in storage next to the original. Concurrent requests
 * for one missing thumb share a single render (per process; across nodes a duplicate render is
 * harmless because puts are atomic).
 */
export class Thumbnailer {
  private inFlight = new Map<string, Promise<boolean>>()
  /** Renders done by this process (observability and tests). */
  rendered = 0

  constructor(private readonly storage: () => FileStorage, private readonly onError: (e: unknown) => void = () => {}) {}

  /** Storage key to serve: the thumb (made if needed), or the original when it cannot be made. */
  async resolve(originalKey: string, size: string): Promise<string> {
    const key = thumbKey(originalKey, size)
    if (await this.storage().stat(key)) return key
    let job = this.inFlight.get(key)
    if (!job) {
      job = this.make(originalKey, key, size).finally(() => this.inFlight.delete(key))
      this.inFlight.set(key, job)
    }
    return (await job) ? key : originalKey
  }

  private async make(originalKey: string, key: string, size: string): Promise<boolean> {
    const storage = this.storage()
    const spec = parseThumbSize(size)
    const original = await storage.get(originalKey)
    if (!spec || !original) {
      original?.stream.resume()
      return false
    }
    try {
      const thumb = await renderThumb(await readAll(original.stream), originalKey, spec)
      await storage.put(key, thumb)
      this.rendered++
      return true
    } catch (e) {
      // Not decodable (corrupt, too big, not really an image): PocketBase serves the original then.
      this.onError(e)
      return false
    }
  }
}
