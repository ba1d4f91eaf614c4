// Unit tests for file validators and byte ranges (RFC 9110 semantics used by the file route).
import { describe, expect, it } from 'vitest'
import { etagFor, notModified, parseRange } from './conditional.ts'

const st = { size: 100, modified: new Date('2024-05-01T10:00:00.500Z') }
const etag = etagFor(st)

describe('notModified', () => {
  it('matches If-None-Match lists, weak tags and *', () => {
    expect(notModified({ 'if-none-match': etag }, st, etag)).toBe(true)
    expect(notModified({ 'if-none-match': `"x", W/${etag}` }, st, etag)).toBe(true)
    expect(notModified({ 'if-none-match': '*' }, st, etag)).toBe(true)
    expect(notModified({ 'if-none-match': '"other"' }, st, etag)).toBe(false)
  })
  it('uses If-Modified-Since only without If-None-Match, at second precision', () => {
    expect(notModified({ 'if-modified-since': st.modified.toUTCString() }, st, etag)).toBe(true)
    expect(notModified({ 'if-modified-since': 'Wed, 01 May 2024 09:59:59 GMT' }, st, etag)).toBe(false)
    expect(notModified({ 'if-modified-since': 'garbage' }, st, etag)).toBe(false)
    expect(notModified({ 'if-none-match': '"other"', 'if-modified-since': st.modified.toUTCString() }, st, etag)).toBe(false)
  })
})

describe('parseRange', () => {
  it.each([
    ['bytes=0-9', { kind: 'partial', range: { start: 0, end: 9 } }],
    ['bytes=90-', { kind: 'partial', range: { start: 90, end: 99 } }],
    ['bytes=-10', { kind: 'partial', range: { start: 90, end: 99 } }],
    ['bytes=-500', { kind: 'partial', range: { start: 0, end: 99 } }],
    ['bytes=50-1000', { kind: 'partial', range: { start: 50, end: 99 } }],
    ['bytes=100-', { kind: 'unsatisfiable' }],
    ['bytes=-0', { kind: 'unsatisfiable' }],
    ['bytes=0-1,5-6', { kind: 'full' }],
    ['bytes=9-3', { kind: 'full' }],
    ['bytes=abc', { kind: 'full' }],
    ['items=0-1', { kind: 'full' }],
    ['bytes=-', { kind: 'full' }],
    ['bytes=99999999999999999999-', { kind: 'unsatisfiable' }],
  ])('%s', (range, out) => expect(parseRange({ range }, st, etag)).toEqual(out))

  it('honours If-Range by ETag or date', () => {
    expect(parseRange({ range: 'bytes=0-1', 'if-range': etag }, st, etag).kind).toBe('partial')
    expect(parseRange({ range: 'bytes=0-1', 'if-range': '"stale"' }, st, etag).kind).toBe('full')
    expect(parseRange({ range: 'bytes=0-1', 'if-range': st.modified.toUTCString() }, st, etag).kind).toBe('partial')
    expect(parseRange({ range: 'bytes=0-1', 'if-range': 'Thu, 01 Jan 1970 00:00:00 GMT' }, st, etag).kind).toBe('full')
  })
})
