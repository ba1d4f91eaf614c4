// Unit tests for file response headers (inline vs attachment, CSP, filename encoding) and magic-number sniffing.
import { describe, expect, it } from 'vitest'
import { contentDisposition, contentMatchesName, extensionForMime, fileResponseHeaders, mimeForName, sniffMime } from './serve.ts'

const CSP = "default-src 'none'; media-src 'self'; style-src 'unsafe-inline'; sandbox"
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13])
const JPG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16])
const GIF = Buffer.from('GIF89a\x01\x00', 'latin1')
const WEBP = Buffer.concat([Buffer.from('RIFF'), Buffer.from([1, 2, 3, 4]), Buffer.from('WEBPVP8 ')])
const PDF = Buffer.from('%PDF-1.7\n')

describe('fileResponseHeaders', () => {
  it('always sets nosniff, sandbox CSP and the PocketBase cache policy', () => {
    for (const n of ['a.png', 'a.html', 'a', 'a.svg']) {
      for (const download of [true, false]) {
        const h = fileResponseHeaders(n, { download })
        expect(h['X-Content-Type-Options']).toBe('nosniff')
        expect(h['Content-Security-Policy']).toBe(CSP)
        expect(h['Cache-Control']).toBe('max-age=2592000, stale-while-revalidate=86400')
      }
    }
  })

  it.each([
    ['photo_abc.png', 'image/png'], ['photo_abc.JPG', 'image/jpeg'], ['a.jpeg', 'image/jpeg'], ['a.gif', 'image/gif'],
    ['a.webp', 'image/webp'], ['doc.pdf', 'application/pdf'], ['notes.txt', 'text/plain; charset=utf-8'],
    ['clip.mp4', 'video/mp4'], ['song.mp3', 'audio/mpeg'],
  ])('serves %s inline as %s', (n, type) => {
    const h = fileResponseHeaders(n, { download: false })
    expect(h['Content-Type']).toBe(type)
    expect(h['Content-Disposition']).toMatch(/^inline; /)
  })

  it.each([
    ['x.svg', 'image/svg+xml'], ['x.html', 'text/html; charset=utf-8'], ['x.htm', 'text/html; charset=utf-8'],
    ['x.xhtml', 'application/xhtml+xml'], ['x.xml', 'application/xml'], ['x.js', 'text/javascript; charset=utf-8'],
    ['x.css', 'text/css; charset=utf-8'], ['x.json', 'application/json'], ['x.zip', 'application/zip'],
    ['x.svgz', 'application/octet-stream'], ['x', 'application/octet-stream'], ['x.php', 'application/octet-stream'],
    ['x.html.', 'application/octet-stream'], ['x.constructor', 'application/octet-stream'], ['x.__proto__', 'application/octet-stream'],
  ])('serves active/unknown %s as attachment (%s)', (n, type) => {
    const h = fileResponseHeaders(n, { download: false })
    expect(h['Content-Type']).toBe(type)
    expect(h['Content-Disposition']).toMatch(/^attachment; /)
  })

  it('download=true forces attachment even for images', () => {
    expect(fileResponseHeaders('a.png', { download: true })['Content-Disposition']).toMatch(/^attachment; filename="a.png"/)
  })
})

describe('contentDisposition', () => {
  it('encodes plain names both ways', () => {
    expect(contentDisposition('photo_abc.png', 'inline')).toBe(`inline; filename="photo_abc.png"; filename*=UTF-8''photo_abc.png`)
  })

  it('cannot be split or broken out of by hostile names', () => {
    for (const n of ['a"; filename="evil.html', 'a\r\nSet-Cookie: x=y', 'a\nb', 'a\\"b', '../../x', 'a\u0000b', 'x%22.png', "it's (1)*.png"]) {
      const v = contentDisposition(n, 'attachment')
      expect(v).not.toMatch(/[\r\n\0]/)
      const quoted = /filename="([^"]*)"/.exec(v)![1]
      expect(v).toBe(`attachment; filename="${quoted}"; filename*=UTF-8''${v.split("UTF-8''")[1]}`)
      expect(quoted).not.toMatch(/["\\/]/)
      expect(v.split("UTF-8''")[1]).toMatch(/^[A-Za-z0-9!#$&+.^_`|~%-]+$/)
    }
  })

  it('keeps unicode in filename* and falls back to underscores in filename', () => {
    expect(contentDisposition('résumé.pdf', 'inline')).toBe(`inline; filename="r_sum_.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf`)
    expect(contentDisposition('\ud800x', 'inline')).toBe(`inline; filename="x"; filename*=UTF-8''x`)
    expect(contentDisposition('', 'inline')).toBe(`inline; filename="file"; filename*=UTF-8''file`)
  })
})

describe('sniffMime / contentMatchesName', () => {
  it('recognizes the supported magic numbers', () => {
    expect(sniffMime(PNG)).toBe('image/png')
    expect(sniffMime(JPG)).toBe('image/jpeg')
    expect(sniffMime(GIF)).toBe('image/gif')
    expect(sniffMime(Buffer.from('GIF87a'))).toBe('image/gif')
    expect(sniffMime(WEBP)).toBe('image/webp')
    expect(sniffMime(PDF)).toBe('application/pdf')
  })

  it('returns null for unknown, truncated or empty input', () => {
    for (const b of [Buffer.alloc(0), Buffer.from([0x89, 0x50]), PNG.subarray(0, 7), Buffer.from('GIF8'), Buffer.from('RIFF1234AVI '),
      Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'), Buffer.from('<html>')]) {
      expect(sniffMime(b)).toBeNull()
    }
    expect(sniffMime(undefined as unknown as Buffer)).toBeNull()
  })

  it('detects declared/actual mismatches', () => {
    expect(contentMatchesName('a.png', PNG)).toBe(true)
    expect(contentMatchesName('a.png', Buffer.from('<html><script>alert(1)</script>'))).toBe(false)
    expect(contentMatchesName('a.jpg', PNG)).toBe(false)
    expect(contentMatchesName('a.pdf', PDF)).toBe(true)
    expect(contentMatchesName('a.txt', PNG)).toBe(false)
    expect(contentMatchesName('a.txt', Buffer.from('hello'))).toBe(true)
    expect(contentMatchesName('a', PNG)).toBe(true)
  })
})

describe('mime helpers', () => {
  it('maps names and types both ways', () => {
    expect(mimeForName('A.PNG')).toBe('image/png')
    expect(mimeForName('')).toBe('application/octet-stream')
    expect(extensionForMime('image/jpeg')).toBe('jpg')
    expect(extensionForMime('image/png')).toBe('png')
    expect(extensionForMime('application/pdf')).toBe('pdf')
    expect(extensionForMime('text/plain; charset=utf-8')).toBe('txt')
    expect(extensionForMime('application/x-unknown')).toBe('')
    expect(extensionForMime('')).toBe('')
  })
})
