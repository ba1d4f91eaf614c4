// Streaming ZIP writer (deflate, data descriptors, ZIP64 when sizes or counts need it) — no dependency, node:zlib only.
import { createDeflateRaw, crc32 } from 'node:zlib'
import { Readable } from 'node:stream'

export interface ZipEntry {
  /** `/`-separated path inside the archive. */
  name: string
  mtime: Date
  /** Uncompressed size announced up front (decides ZIP64); the real size is checked against it. */
  size: number
  data: () => NodeJS.ReadableStream
}

interface Written { name: Buffer; crc: number; csize: number; usize: number; offset: number; zip64: boolean; time: number; date: number }

const MAX32 = 0xffffffff
/** Deflate can grow incompressible data slightly: switch to ZIP64 well before 4 GiB. */
const ZIP64_THRESHOLD = 0xf0000000

function dosDateTime(d: Date): { time: number; date: number } {
  const year = Math.max(1980, d.getFullYear())
  return {
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | Math.floor(d.getSeconds() / 2),
    date: ((year - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
  }
}

function localHeader(w: Written): Buffer {
  const extra = w.zip64 ? Buffer.alloc(20) : Buffer.alloc(0)
  if (w.zip64) { extra.writeUInt16LE(0x0001, 0); extra.writeUInt16LE(16, 2) } // sizes follow in the descriptor
  const h = Buffer.alloc(30)
  h.writeUInt32LE(0x04034b50, 0)
  h.writeUInt16LE(w.zip64 ? 45 : 20, 4)
  h.writeUInt16LE(0x0808, 6) // bit 3: sizes in a data descriptor; bit 11: UTF-8 names
  h.writeUInt16LE(8, 8) // deflate
  h.writeUInt16LE(w.time, 10)
  h.writeUInt16LE(w.date, 12)
  // crc and sizes stay 0 here (0xffffffff sizes for ZIP64): they follow the data.
  if (w.zip64) { h.writeUInt32LE(MAX32, 18); h.writeUInt32LE(MAX32, 22) }
  h.writeUInt16LE(w.name.length, 26)
  h.writeUInt16LE(extra.length, 28)
  return Buffer.concat([h, w.name, extra])
}

function dataDescriptor(w: Written): Buffer {
  const b = Buffer.alloc(w.zip64 ? 24 : 16)
  b.writeUInt32LE(0x08074b50, 0)
  b.writeUInt32LE(w.crc, 4)
  if (w.zip64) { b.writeBigUInt64LE(BigInt(w.csize), 8); b.writeBigUInt64LE(BigInt(w.usize), 16) } else { b.writeUInt32LE(w.csize, 8); b.writeUInt32LE(w.usize, 12) }
  return b
}

function centralHeader(w: Written): Buffer {
  const big = [w.usize >= MAX32 || w.zip64, w.csize >= MAX32 || w.zip64, w.offset >= MAX32]
  const fields = [w.usize, w.csize, w.offset].filter((_, i) => big[i])
  const extra = Buffer.alloc(fields.length ? 4 + 8 * fields.length : 0)
  if (fields.length) {
    extra.writeUInt16LE(0x0001, 0)
    extra.writeUInt16LE(8 * fields.length, 2)
    fields.forEach((v, i) => extra.writeBigUInt64LE(BigInt(v), 4 + 8 * i))
  }
  const h = Buffer.alloc(46)
  h.writeUInt32LE(0x02014b50, 0)
  h.writeUInt16LE((3 << 8) | 45, 4) // made by: Unix, spec 4.5
  h.writeUInt16LE(fields.length ? 45 : 20, 6)
  h.writeUInt16LE(0x0808, 8)
  h.writeUInt16LE(8, 10)
  h.writeUInt16LE(w.time, 12)
  h.writeUInt16LE(w.date, 14)
  h.writeUInt32LE(w.crc, 16)
  h.writeUInt32LE(big[1] ? MAX32 : w.csize, 20)
  h.writeUInt32LE(big[0] ? MAX32 : w.usize, 24)
  h.writeUInt16LE(w.name.length, 28)
  h.writeUInt16LE(extra.length, 30)
  h.writeUInt32LE((0o100644 << 16) >>> 0, 38) // regular file, rw-r--r--
  h.writeUInt32LE(big[2] ? MAX32 : w.offset, 42)
  return Buffer.concat([h, w.name, extra])
}

function endRecords(count: number, cdOffset: number, cdSize: number): Buffer {
  const zip64 = count > 0xffff || cdOffset >= MAX32 || cdSize >= MAX32
  const parts: Buffer[] = []
  if (zip64) {
    const r = Buffer.alloc(56)
    r.writeUInt32LE(0x06064b50, 0)
    r.writeBigUInt64LE(44n, 4)
    r.writeUInt16LE(45, 12)
    r.writeUInt16LE(45, 14)
    r.writeBigUInt64LE(BigInt(count), 24)
    r.writeBigUInt64LE(BigInt(count), 32)
    r.writeBigUInt64LE(BigInt(cdSize), 40)
    r.writeBigUInt64LE(BigInt(cdOffset), 48)
    const loc = Buffer.alloc(20)
    loc.writeUInt32LE(0x07064b50, 0)
    loc.writeBigUInt64LE(BigInt(cdOffset + cdSize), 8)
    loc.writeUInt32LE(1, 16)
    parts.push(r, loc)
  }
  const e = Buffer.alloc(22)
  e.writeUInt32LE(0x06054b50, 0)
  e.writeUInt16LE(zip64 ? 0xffff : count, 8)
  e.writeUInt16LE(zip64 ? 0xffff : count, 10)
  e.writeUInt32LE(zip64 ? MAX32 : cdSize, 12)
  e.writeUInt32LE(zip64 ? MAX32 : cdOffset, 16)
  parts.push(e)
  return Buffer.concat(parts)
}

async function* zipChunks(entries: AsyncIterable<ZipEntry> | Iterable<ZipEntry>): AsyncGenerator<Buffer> {
  const written: Written[] = []
  let offset = 0
  for await (const entry of entries) {
    const w: Written = { name: Buffer.from(entry.name, 'utf8'), crc: 0, csize: 0, usize: 0, offset, zip64: entry.size >= ZIP64_THRESHOLD, ...dosDateTime(entry.mtime) }
    const head = localHeader(w)
    yield head
    offset += head.length
    const deflate = createDeflateRaw({ level: 6 })
    const source = Readable.from(entry.data() as AsyncIterable<Buffer>)
    source.on('data', (chunk: Buffer) => { w.crc = crc32(chunk, w.crc); w.usize += chunk.length })
    source.on('error', (err) => deflate.destroy(err))
    source.pipe(deflate)
    for await (const chunk of deflate as AsyncIterable<Buffer>) {
      w.csize += chunk.length
      yield chunk
    }
    if (!w.zip64 && (w.usize >= MAX32 || w.csize >= MAX32)) throw new Error(`zip: ${entry.name} grew past 4 GiB while being archived`)
    const desc = dataDescriptor(w)
    yield desc
    offset += w.csize + desc.length
    written.push(w)
  }
  const cdOffset = offset
  let cdSize = 0
  for (const w of written) {
    const h = centralHeader(w)
    cdSize += h.length
    yield h
  }
  yield endRecords(written.length, cdOffset, cdSize)
}

/** The archive as a stream of bytes; entries are read one after the other, each only when its turn comes. */
export function zipStream(entries: AsyncIterable<ZipEntry> | Iterable<ZipEntry>): Readable {
  return Readable.from(zipChunks(entries), { objectMode: false })
}
