// Response headers for serving stored files safely (type by extension, inline only for inert types) and magic-number sniffing.
import { extensionOf } from './names.ts'
import { sniffContent } from './sniff.ts'

const MIME_BY_EXT: Readonly<Record<string, string>> = {
  png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp',
  avif: 'image/avif', bmp: 'image/bmp', ico: 'image/x-icon', svg: 'image/svg+xml', tif: 'image/tiff', tiff: 'image/tiff',
  pdf: 'application/pdf', txt: 'text/plain; charset=utf-8', csv: 'text/csv; charset=utf-8', md: 'text/markdown; charset=utf-8',
  json: 'application/json', xml: 'application/xml', html: 'text/html; charset=utf-8', htm: 'text/html; charset=utf-8',
  xhtml: 'application/xhtml+xml', css: 'text/css; charset=utf-8', js: 'text/javascript; charset=utf-8', mjs: 'text/javascript; charset=utf-8',
  mp4: 'video/mp4', webm: 'video/webm', mov: 'video/quicktime', ogv: 'video/ogg',
  mp3: 'audio/mpeg', wav: 'audio/wav', ogg: 'audio/ogg', oga: 'audio/ogg', m4a: 'audio/mp4', aac: 'audio/aac', flac: 'audio/flac',
  zip: 'application/zip', gz: 'application/gzip', tar: 'application/x-tar', '7z': 'application/x-7z-compressed',
  doc: 'application/msword', docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xls: 'application/vnd.ms-excel', xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  ppt: 'application/vnd.ms-powerpoint', pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  woff: 'font/woff', woff2: 'font/woff2', ttf: 'font/ttf', otf: 'font/otf', wasm: 'application/wasm',
}

/**
 * Types a browser renders without running anything. Everything else (svg, html, xml, js, css, json…)
 * is served as an attachment so uploaded content can never execute in our origin (SECURITY.md H3).
 * text/plain is safe because of `nosniff` plus the sandboxing CSP below.
 */
const INLINE_SAFE = new Set([
  'image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif', 'image/bmp', 'image/x-icon',
  'application/pdf', 'text/plain; charset=utf-8',
  'video/mp4', 'video/webm', 'video/quicktime', 'video/ogg',
  'audio/mpeg', 'audio/wav', 'audio/ogg', 'audio/mp4', 'audio/aac', 'audio/flac',
])

export const DEFAULT_MIME = 'application/octet-stream'

/** Content-Type for a stored file name, by its (lower-cased) extension; unknown → application/octet-stream. */
export function mimeForName(filename: string): string {
  const ext = extensionOf(typeof filename === 'string' ? filename : '')
  return Object.hasOwn(MIME_BY_EXT, ext) ? MIME_BY_EXT[ext] : DEFAULT_MIME
}

/** Extension (no dot) for a sniffed/declared MIME type, for names that arrived without one; '' if unknown. */
export function extensionForMime(mime: string): string {
  const m = (mime || '').split(';')[0].trim().toLowerCase()
  const preferred: Record<string, string> = { 'image/jpeg': 'jpg', 'text/plain': 'txt', 'text/html': 'html', 'audio/ogg': 'ogg', 'image/tiff': 'tiff' }
  if (preferred[m]) return preferred[m]
  for (const [ext, type] of Object.entries(MIME_BY_EXT)) if (type.split(';')[0] === m) return ext
  return ''
}

/** RFC 5987 ext-value encoding: everything outside attr-char is percent-encoded (UTF-8). */
function encodeRfc5987(s: string): string {
  return encodeURIComponent(s).replace(/['()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase())
}

/**
 * `Content-Disposition` value. The quoted `filename` is an ASCII fallback with quotes, backslashes,
 * separators, CR/LF and other non-printables replaced, so the header can neither be split nor
 * broken out of; `filename*` carries the exact (UTF-8) name for modern clients.
 */
export function contentDisposition(filename: string, type: 'inline' | 'attachment'): string {
  // Lone surrogates would make encodeURIComponent throw; drop them together with control chars.
  const clean = (typeof filename === 'string' ? filename : '')
    .replace(/[\u0000-\u001f\u007f-\u009f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '')
    .replace(/[/\\]/g, '_')
    .trim() || 'file'
  const ascii = clean.replace(/[^\x20-\x7e]|["\\%]/g, '_')
  return `${type}; filename="${ascii}"; filename*=UTF-8''${encodeRfc5987(clean)}`
}

/** Headers for serving a stored file (the caller adds Content-Length / range headers). */
export function fileResponseHeaders(filename: string, opts: { download: boolean }): Record<string, string> {
  const type = mimeForName(filename)
  const inline = !opts.download && INLINE_SAFE.has(type)
  return {
    'Content-Type': type,
    'Content-Disposition': contentDisposition(filename, inline ? 'inline' : 'attachment'),
    'X-Content-Type-Options': 'nosniff',
    // Same policy as PocketBase: even if a browser renders the file, it gets no scripts, no origin.
    'Content-Security-Policy': "default-src 'none'; media-src 'self'; style-src 'unsafe-inline'; sandbox",
    'Cache-Control': 'max-age=2592000, stale-while-revalidate=86400',
    'Accept-Ranges': 'bytes',
  }
}

const INLINE_SNIFFABLE = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'application/pdf'])

/** Type from magic numbers for the formats that matter for inline serving/thumbs; null otherwise. */
export function sniffMime(buf: Uint8Array): string | null {
  const t = sniffContent(buf)
  return t && INLINE_SNIFFABLE.has(t) ? t : null
}

/**
 * Whether content plausibly matches the type its name claims: a sniffable type (png/jpeg/gif/webp/pdf)
 * must have matching magic bytes, and content that sniffs as one of them must not be named as another
 * known type. Types we cannot sniff pass (they are served as attachments unless inert anyway).
 */
export function contentMatchesName(filename: string, head: Uint8Array): boolean {
  const declared = mimeForName(filename)
  const sniffed = sniffMime(head)
  const sniffable = ['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'application/pdf']
  if (sniffable.includes(declared)) return sniffed === declared
  // No usable extension: nothing was claimed, so nothing can be contradicted.
  return declared === DEFAULT_MIME || sniffed === null
}
