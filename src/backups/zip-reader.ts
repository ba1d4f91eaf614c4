// Minimal ZIP reader for restores: central directory (ZIP64 aware), stored/deflated entries, CRC and size checked.
import { createReadStream, createWriteStream } from 'node:fs'
import { open, writeFile } from 'node:fs/promises'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createInflateRaw, crc32 } from 'node:zlib'

export class ZipFormatError extends Error {
  constructor(message: string) { super(message); this.name = 'ZipFormatError' }
}

export interface ZipFileEntry { name: string; method: number; flags: number; crc: number; csize: number; usize: number; offset: number }

const MAX32 = 0xffffffff
const MAX_CD_BYTES = 256 * 1024 * 1024

async function readAt(fh: Awaited<ReturnType<typeof open>>, pos: number, len: number): Promise<Buffer> {
  const buf = Buffer.alloc(len)
  const { bytesRead } = await fh.read(buf, 0, len, pos)
  if (bytesRead !== len) throw new ZipFormatError('truncated archive')
  return buf
}

/** Reads the central directory. Throws ZipFormatError for anything that is not a well-formed ZIP. */
export async function listZip(file: string): Promise<ZipFileEntry[]> {
  const fh = await open(file, 'r')
  try {
    const size = (await fh.stat()).size
    if (size < 22) throw new ZipFormatError('not a zip archive')
    const tailLen = Math.min(size, 22 + 0xffff)
    const tail = await readAt(fh, size - tailLen, tailLen)
    let eocd = -1
    for (let i = tail.length - 22; i >= 0; i--) if (tail.readUInt32LE(i) === 0x06054b50) { eocd = i; break }
    if (eocd < 0) throw new ZipFormatError('not a zip archive (no end of central directory)')
    let count = tail.readUInt16LE(eocd + 10)
    let cdSize = tail.readUInt32LE(eocd + 12)
    let cdOffset = tail.readUInt32LE(eocd + 16)
    if (count === 0xffff || cdSize === MAX32 || cdOffset === MAX32) {
      const locPos = size - tailLen + eocd - 20
      const loc = locPos >= 0 ? await readAt(fh, locPos, 20) : null
      if (!loc || loc.readUInt32LE(0) !== 0x07064b50) throw new ZipFormatError('missing zip64 locator')
      const rec = await readAt(fh, Number(loc.readBigUInt64LE(8)), 56)
      if (rec.readUInt32LE(0) !== 0x06064b50) throw new ZipFormatError('bad zip64 end record')
      count = Number(rec.readBigUInt64LE(32))
      cdSize = Number(rec.readBigUInt64LE(40))
      cdOffset = Number(rec.readBigUInt64LE(48))
    }
    if (cdSize > MAX_CD_BYTES || cdOffset + cdSize > size) throw new ZipFormatError('bad central directory')
    const cd = await readAt(fh, cdOffset, cdSize)
    const entries: ZipFileEntry[] = []
    let p = 0
    for (let i = 0; i < count; i++) {
      if (p + 46 > cd.length || cd.readUInt32LE(p) !== 0x02014b50) throw new ZipFormatError('bad central directory entry')
      const nameLen = cd.readUInt16LE(p + 28), extraLen = cd.readUInt16LE(p + 30), commentLen = cd.readUInt16LE(p + 32)
      if (p + 46 + nameLen + extraLen + commentLen > cd.length) throw new ZipFormatError('bad central directory entry')
      const e: ZipFileEntry = {
        name: cd.toString('utf8', p + 46, p + 46 + nameLen),
        flags: cd.readUInt16LE(p + 8), method: cd.readUInt16LE(p + 10), crc: cd.readUInt32LE(p + 16),
        csize: cd.readUInt32LE(p + 20), usize: cd.readUInt32LE(p + 24), offset: cd.readUInt32LE(p + 42),
      }
      readZip64Extra(e, cd.subarray(p + 46 + nameLen, p + 46 + nameLen + extraLen))
      if (e.offset + e.csize > size) throw new ZipFormatError(`entry ${JSON.stringify(e.name)} points past the end`)
      entries.push(e)
      p += 46 + nameLen + extraLen + commentLen
    }
    return entries
  } finally {
    await fh.close()
  }
}

/** Fields stored as 0xffffffff in the header are in the ZIP64 extra field, in this order. */
function readZip64Extra(e: ZipFileEntry, extra: Buffer): void {
  for (let q = 0; q + 4 <= extra.length;) {
    const id = extra.readUInt16LE(q), len = extra.readUInt16LE(q + 2)
    if (id === 0x0001) {
      let r = q + 4
      const next = () => { if (r + 8 > q + 4 + len) throw new ZipFormatError('bad zip64 extra'); const v = Number(extra.readBigUInt64LE(r)); r += 8; return v }
      if (e.usize === MAX32) e.usize = next()
      if (e.csize === MAX32) e.csize = next()
      if (e.offset === MAX32) e.offset = next()
      return
    }
    q += 4 + len
  }
}

/** Writes one entry to `dest`, failing unless its size and CRC-32 match the directory (corrupt or tampered data). */
export async function extractEntry(file: string, e: ZipFileEntry, dest: string): Promise<void> {
  if (e.flags & 1) throw new ZipFormatError('encrypted entries are not supported')
  if (e.method !== 0 && e.method !== 8) throw new ZipFormatError(`unsupported compression method ${e.method}`)
  const fh = await open(file, 'r')
  let start: number
  try {
    const h = await readAt(fh, e.offset, 30)
    if (h.readUInt32LE(0) !== 0x04034b50) throw new ZipFormatError('bad local header')
    start = e.offset + 30 + h.readUInt16LE(26) + h.readUInt16LE(28)
  } finally {
    await fh.close()
  }
  let crc = 0, size = 0
  const check = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      crc = crc32(chunk, crc)
      size += chunk.length
      if (size > e.usize) return cb(new ZipFormatError(`entry ${JSON.stringify(e.name)} is larger than declared`))
      cb(null, chunk)
    },
  })
  if (e.csize === 0) {
    if (e.usize !== 0 || e.method !== 0) throw new ZipFormatError(`entry ${JSON.stringify(e.name)} is corrupt`)
    await writeFile(dest, '', { flag: 'wx' })
    return
  }
  const src = createReadStream(file, { start, end: start + e.csize - 1 })
  const out = createWriteStream(dest, { flags: 'wx' })
  try {
    if (e.method === 8) await pipeline(src, createInflateRaw(), check, out)
    else await pipeline(src, check, out)
  } catch (err) {
    if (err instanceof ZipFormatError) throw err
    throw new ZipFormatError(`entry ${JSON.stringify(e.name)} is corrupt: ${(err as Error).message}`)
  }
  if (size !== e.usize || (crc >>> 0) !== (e.crc >>> 0)) throw new ZipFormatError(`entry ${JSON.stringify(e.name)} failed its CRC/size check`)
}
