// PocketBase-compatible field ids: `<type><crc32(name)>` in decimal (e.g. text3208210256 for "id").
import * as zlib from 'node:zlib'

let table: Uint32Array | undefined

/** CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320) of the UTF-8 bytes; node:zlib's crc32 only exists on Node ≥20.15. */
export function crc32(text: string): number {
  const native = (zlib as { crc32?: (data: string | Uint8Array) => number }).crc32
  if (typeof native === 'function') return native(Buffer.from(text, 'utf8')) >>> 0
  return crc32Js(Buffer.from(text, 'utf8'))
}

export function crc32Js(bytes: Uint8Array): number {
  if (!table) {
    table = new Uint32Array(256)
    for (let n = 0; n < 256; n++) {
      let c = n
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
      table[n] = c >>> 0
    }
  }
  let crc = 0xffffffff
  for (const b of bytes) crc = table[(crc ^ b) & 0xff] ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}

export function defaultFieldId(type: string, name: string): string {
  return `${type}${crc32(name)}`
}
