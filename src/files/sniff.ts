// Content type from the bytes (magic numbers and a text check), and the type an upload is judged by.

const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0))

/** [type, signature, offset]; `-1` in a signature matches any byte. Order matters (first match wins). */
const MAGIC: [string, number[], number][] = [
  ['image/png', [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 0],
  ['image/jpeg', [0xff, 0xd8, 0xff], 0],
  ['image/gif', ascii('GIF87a'), 0],
  ['image/gif', ascii('GIF89a'), 0],
  ['image/webp', [...ascii('RIFF'), -1, -1, -1, -1, ...ascii('WEBP')], 0],
  ['audio/wav', [...ascii('RIFF'), -1, -1, -1, -1, ...ascii('WAVE')], 0],
  ['video/x-msvideo', [...ascii('RIFF'), -1, -1, -1, -1, ...ascii('AVI ')], 0],
  ['image/avif', ascii('ftypavif'), 4],
  ['image/avif', ascii('ftypavis'), 4],
  ['image/heic', ascii('ftypheic'), 4],
  ['video/quicktime', ascii('ftypqt  '), 4],
  ['audio/mp4', ascii('ftypM4A '), 4],
  ['video/mp4', ascii('ftyp'), 4],
  ['image/bmp', ascii('BM'), 0],
  ['image/x-icon', [0, 0, 1, 0], 0],
  ['image/tiff', [0x49, 0x49, 0x2a, 0], 0],
  ['image/tiff', [0x4d, 0x4d, 0, 0x2a], 0],
  ['application/pdf', ascii('%PDF-'), 0],
  ['application/zip', [0x50, 0x4b, 0x03, 0x04], 0],
  ['application/zip', [0x50, 0x4b, 0x05, 0x06], 0],
  ['application/gzip', [0x1f, 0x8b], 0],
  ['application/x-7z-compressed', [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], 0],
  ['application/x-rar-compressed', ascii('Rar!'), 0],
  ['application/x-tar', ascii('ustar'), 257],
  ['application/wasm', [0, 0x61, 0x73, 0x6d], 0],
  ['audio/mpeg', ascii('ID3'), 0],
  ['audio/mpeg', [0xff, 0xfb], 0],
  ['audio/mpeg', [0xff, 0xf3], 0],
  ['audio/mpeg', [0xff, 0xf2], 0],
  ['audio/flac', ascii('fLaC'), 0],
  ['audio/ogg', ascii('OggS'), 0],
  ['video/webm', [0x1a, 0x45, 0xdf, 0xa3], 0],
  ['font/woff', ascii('wOFF'), 0],
  ['font/woff2', ascii('wOF2'), 0],
  ['font/ttf', [0, 1, 0, 0, 0], 0],
  ['font/otf', ascii('OTTO'), 0],
  ['application/x-sqlite3', ascii('SQLite format 3\0'), 0],
  ['application/x-msdownload', ascii('MZ'), 0],
  ['application/x-elf', [0x7f, 0x45, 0x4c, 0x46], 0],
  ['application/x-ole-storage', [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1], 0],
]

const HEAD = 4096

/** Whether the start of the buffer decodes as text (UTF-8, no NUL/control bytes other than whitespace). */
function looksLikeText(buf: Uint8Array): boolean {
  const head = buf.subarray(0, HEAD)
  for (const b of head) if (b === 0 || (b < 0x20 && b !== 9 && b !== 10 && b !== 12 && b !== 13) || b === 0x7f) return false
  try {
    // A multi-byte character cut at the HEAD boundary is not an error: drop up to 3 trailing bytes.
    new TextDecoder('utf-8', { fatal: true }).decode(head.length === HEAD ? head.subarray(0, HEAD - 3) : head)
    return true
  } catch {
    return false
  }
}

/** Text subtypes that run or render actively in a browser, recognized from the first bytes. */
function textSubtype(buf: Uint8Array): string {
  const s = Buffer.from(buf.subarray(0, 1024)).toString('utf8').replace(/^\uFEFF/, '').trimStart().toLowerCase()
  if (/^<\?xml[\s\S]*<svg[\s>]/.test(s) || /^(<!--[\s\S]*?-->\s*)*(<!doctype svg[^>]*>\s*)?<svg[\s>]/.test(s)) return 'image/svg+xml'
  if (/^(<!--[\s\S]*?-->\s*)*(<!doctype html|<html|<head|<body|<script|<iframe|<h1|<div|<p[\s>]|<table|<a\s)/.test(s)) return 'text/html'
  if (s.startsWith('<?xml')) return 'application/xml'
  if (/^[{[]/.test(s)) return 'application/json'
  return 'text/plain'
}

/** The content type the bytes show, or null when they are binary of an unknown kind. */
export function sniffContent(buf: Uint8Array): string | null {
  if (!buf || buf.length === 0) return null
  for (const [type, sig, at] of MAGIC) {
    if (buf.length >= at + sig.length && sig.every((b, i) => b === -1 || buf[at + i] === b)) return type
  }
  return looksLikeText(buf) ? textSubtype(buf) : null
}

const ZIP_BASED = new Set([
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  'application/vnd.oasis.opendocument.text', 'application/vnd.oasis.opendocument.spreadsheet',
  'application/vnd.oasis.opendocument.presentation', 'application/epub+zip', 'application/java-archive',
  'application/vnd.android.package-archive', 'application/x-zip-compressed',
])
const OLE_BASED = new Set(['application/msword', 'application/vnd.ms-excel', 'application/vnd.ms-powerpoint', 'application/vnd.ms-outlook'])
const TEXT_LIKE = /^(text\/(?!html)[\w.+-]+|application\/(json|ld\+json|geo\+json|x-ndjson|yaml|x-yaml|toml|sql|x-sh|javascript|x-subrip)|text\/vtt)$/

/** Whether a declared type is a more precise name for what the sniffer saw (docx is a zip, csv is text). */
function refines(declared: string, sniffed: string | null): boolean {
  if (sniffed === null) return declared !== '' && !SNIFFABLE.has(declared) && !TEXT_LIKE.test(declared) && declared !== 'text/html'
  if (sniffed === 'application/zip') return ZIP_BASED.has(declared)
  if (sniffed === 'application/x-ole-storage') return OLE_BASED.has(declared)
  if (sniffed === 'text/plain' || sniffed === 'application/json' || sniffed === 'application/xml') return TEXT_LIKE.test(declared) || declared === 'application/xml' || declared === 'text/xml'
  if (sniffed === 'video/mp4') return /^(video|audio)\/(mp4|x-m4v|3gpp)$/.test(declared)
  if (sniffed === 'audio/ogg') return /^(audio|video)\/ogg$|^audio\/opus$/.test(declared)
  if (sniffed === 'video/webm') return declared === 'audio/webm' || declared === 'video/x-matroska'
  return false
}

const SNIFFABLE = new Set(MAGIC.map(([t]) => t))

/**
 * The type an upload is judged by (a field's `mimeTypes`): what the content shows, unless the
 * client declared a more precise type that the content is consistent with. A declared type is
 * never believed against the bytes: an HTML page declared `image/png` is `text/html`.
 */
export function effectiveMime(declared: string, data: Uint8Array): string {
  const d = (declared || '').split(';')[0].trim().toLowerCase()
  if (data.length === 0) return d || 'application/octet-stream' // nothing to contradict
  const sniffed = sniffContent(data)
  if (d && d !== 'application/octet-stream' && refines(d, sniffed)) return d
  return sniffed ?? 'application/octet-stream'
}
