// Unit tests for content sniffing and the type an upload is judged by (declared types never beat the bytes).
import { describe, expect, it } from 'vitest'
import { effectiveMime, sniffContent } from './sniff.ts'

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13])
const ZIP = Buffer.from([0x50, 0x4b, 0x03, 0x04, 20, 0, 0, 0])
const OLE = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0])
const MP4 = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypisom0000')])
const BIN = Buffer.from([0x00, 0x9f, 0x92, 0x96, 0x01, 0x02])

describe('sniffContent', () => {
  it.each([
    [PNG, 'image/png'], [Buffer.from([0xff, 0xd8, 0xff, 0xe0]), 'image/jpeg'], [Buffer.from('GIF89a..'), 'image/gif'],
    [Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WEBPVP8 ')]), 'image/webp'],
    [Buffer.from('%PDF-1.7\n'), 'application/pdf'], [ZIP, 'application/zip'], [MP4, 'video/mp4'],
    [Buffer.from('ID3\x03\x00'), 'audio/mpeg'], [Buffer.from('hello world\n'), 'text/plain'], [Buffer.from('héllo'), 'text/plain'],
    [Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'), 'image/svg+xml'],
    [Buffer.from('<?xml version="1.0"?>\n<svg></svg>'), 'image/svg+xml'], [Buffer.from('\uFEFF  <!DOCTYPE html><html>'), 'text/html'],
    [Buffer.from('<script>alert(1)</script>'), 'text/html'], [Buffer.from('<?xml version="1.0"?><a/>'), 'application/xml'],
    [Buffer.from('{"a":1}'), 'application/json'], [BIN, null], [Buffer.alloc(0), null],
  ])('%#: → %s', (buf, type) => expect(sniffContent(buf)).toBe(type))
})

describe('effectiveMime', () => {
  it.each([
    ['image/png', PNG, 'image/png'],
    ['text/plain', PNG, 'image/png'],
    ['image/png', Buffer.from('not an image'), 'text/plain'],
    ['image/png', Buffer.from('<html><script>x</script>'), 'text/html'],
    ['text/plain', Buffer.from('<svg onload=alert(1)>'), 'image/svg+xml'],
    ['text/csv', Buffer.from('a,b\n1,2\n'), 'text/csv'],
    ['application/json; charset=utf-8', Buffer.from('{"a":1}'), 'application/json'],
    ['text/markdown', Buffer.from('# title'), 'text/markdown'],
    ['application/vnd.openxmlformats-officedocument.wordprocessingml.document', ZIP, 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
    ['image/png', ZIP, 'application/zip'],
    ['application/msword', OLE, 'application/msword'],
    ['application/x-custom', BIN, 'application/x-custom'],
    ['image/png', BIN, 'application/octet-stream'],
    ['text/plain', BIN, 'application/octet-stream'],
    ['', PNG, 'image/png'],
    ['application/octet-stream', Buffer.from('hi'), 'text/plain'],
    ['text/plain', Buffer.alloc(0), 'text/plain'],
  ])('declared %s → %s', (declared, buf, type) => expect(effectiveMime(declared, buf)).toBe(type))
})
