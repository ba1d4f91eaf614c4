// HTTP validators and byte ranges for served files: ETag, If-None-Match / If-Modified-Since, Range / If-Range.
import type { ByteRange, FileStat } from './storage.ts'

/** Strong ETag from size and modification time (stored files never change in place: new uploads get new names). */
export function etagFor(st: FileStat): string {
  return `"${st.size.toString(16)}-${st.modified.getTime().toString(16)}"`
}

const seconds = (d: Date) => Math.floor(d.getTime() / 1000)

/**
 * Whether a GET/HEAD may be answered 304 (RFC 9110 §13.2.2): If-None-Match wins over
 * If-Modified-Since; `*` and weak comparison match, as for GET.
 */
export function notModified(headers: Record<string, string | string[] | undefined>, st: FileStat, etag: string): boolean {
  const inm = headers['if-none-match']
  if (typeof inm === 'string' && inm) {
    if (inm.trim() === '*') return true
    const bare = etag.replace(/^W\//, '')
    return inm.split(',').some((t) => t.trim().replace(/^W\//, '') === bare)
  }
  const ims = headers['if-modified-since']
  if (typeof ims === 'string' && ims) {
    const since = Date.parse(ims)
    return !Number.isNaN(since) && seconds(st.modified) <= Math.floor(since / 1000)
  }
  return false
}

export type RangeResult = { kind: 'full' } | { kind: 'partial'; range: ByteRange } | { kind: 'unsatisfiable' }

/**
 * One `Range: bytes=…` against a size. Multiple ranges, other units and malformed headers are
 * ignored (full response, as RFC 9110 allows); a syntactically valid range past the end is 416.
 * `If-Range` that does not match the current ETag or date also gives the full content.
 */
export function parseRange(headers: Record<string, string | string[] | undefined>, st: FileStat, etag: string): RangeResult {
  const header = headers.range
  if (typeof header !== 'string' || !header.startsWith('bytes=')) return { kind: 'full' }
  const ifRange = headers['if-range']
  if (typeof ifRange === 'string' && ifRange) {
    const matches = ifRange.startsWith('"') || ifRange.startsWith('W/')
      ? ifRange === etag
      : !Number.isNaN(Date.parse(ifRange)) && Math.floor(Date.parse(ifRange) / 1000) === seconds(st.modified)
    if (!matches) return { kind: 'full' }
  }
  const spec = header.slice(6).trim()
  if (spec.includes(',')) return { kind: 'full' }
  const m = /^(\d*)-(\d*)$/.exec(spec)
  if (!m || (m[1] === '' && m[2] === '')) return { kind: 'full' }
  const size = st.size
  if (m[1] === '') {
    // Suffix range: the last N bytes.
    const n = Number(m[2])
    if (n === 0 || size === 0) return { kind: 'unsatisfiable' }
    return { kind: 'partial', range: { start: Math.max(0, size - n), end: size - 1 } }
  }
  const start = Number(m[1])
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1)
  if (!Number.isSafeInteger(start) || start >= size) return { kind: 'unsatisfiable' }
  if (end < start) return { kind: 'full' }
  return { kind: 'partial', range: { start, end } }
}
