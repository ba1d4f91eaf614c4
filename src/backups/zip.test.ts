// ZIP writer/reader round trip, interoperability with another implementation (Python's zipfile), corruption detection.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { afterAll, describe, expect, it } from 'vitest'
import { zipStream, type ZipEntry } from './zip-writer.ts'
import { extractEntry, listZip, ZipFormatError } from './zip-reader.ts'

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'basalt-zip-'))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

const big = Buffer.alloc(300_000, 'abcdefghij')
const files: Record<string, Buffer> = { 'data.db': big, 'storage/c1/r1/a.txt': Buffer.from('héllo'), 'storage/empty.txt': Buffer.alloc(0) }
const entries = (): ZipEntry[] => Object.entries(files).map(([name, buf]) => ({ name, size: buf.length, mtime: new Date(2024, 0, 2, 3, 4, 6), data: () => Readable.from([buf]) }))

async function write(name: string): Promise<string> {
  const file = path.join(dir, name)
  await pipeline(zipStream(entries()), fs.createWriteStream(file))
  return file
}

describe('zip', () => {
  it('round-trips entries with their bytes', async () => {
    const file = await write('a.zip')
    const list = await listZip(file)
    expect(list.map((e) => e.name)).toEqual(Object.keys(files))
    for (const e of list) {
      const out = path.join(dir, `out-${e.name.replace(/\//g, '_')}`)
      await extractEntry(file, e, out)
      expect(fs.readFileSync(out).equals(files[e.name])).toBe(true)
    }
  })

  it('is readable by another ZIP implementation', async (ctx) => {
    const file = await write('b.zip')
    const py = spawnSync('python3', ['-c', 'import sys,zipfile; z=zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; print(",".join(z.namelist()))', file])
    if (py.error) { console.warn('SKIP zip interop: python3 missing'); ctx.skip() }
    expect(py.stderr.toString()).toBe('')
    expect(py.stdout.toString().trim()).toBe(Object.keys(files).join(','))
  })

  it('rejects corrupted data and non-zip files', async () => {
    const file = await write('c.zip')
    const buf = fs.readFileSync(file)
    const [first] = await listZip(file)
    buf[first.offset + 30 + first.name.length + 20] ^= 0xff
    fs.writeFileSync(file, buf)
    await expect(extractEntry(file, (await listZip(file))[0], path.join(dir, 'bad-out'))).rejects.toBeInstanceOf(ZipFormatError)
    const junk = path.join(dir, 'junk.zip')
    fs.writeFileSync(junk, 'this is not a zip at all, just some text')
    await expect(listZip(junk)).rejects.toBeInstanceOf(ZipFormatError)
  })
})
