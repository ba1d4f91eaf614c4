// Shared contract suite for FileStorage backends (local disk, S3): every implementation must pass it.
import { describe, expect, it } from 'vitest'
import { Readable } from 'node:stream'
import { InvalidStorageKeyError, type FileStorage } from '../../src/files/storage.ts'

async function text(s: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = []
  for await (const c of s as AsyncIterable<Buffer>) chunks.push(Buffer.from(c))
  return Buffer.concat(chunks).toString()
}

/** `make` returns a fresh, empty storage for each test. */
export function fileStorageContract(name: string, make: () => Promise<FileStorage>) {
  describe(`file storage contract: ${name}`, () => {
    it('puts buffers and streams, gets them back with size and modification time', async () => {
      const st = await make()
      const before = Date.now() - 5000
      await st.put('c/r/a.txt', Buffer.from('hello'))
      await st.put('c/r/b.txt', Readable.from([Buffer.from('str'), Buffer.from('eam')]))
      const a = await st.get('c/r/a.txt')
      expect(a!.size).toBe(5)
      expect(a!.modified.getTime()).toBeGreaterThan(before)
      expect(await text(a!.stream)).toBe('hello')
      expect(await text((await st.get('c/r/b.txt'))!.stream)).toBe('stream')
    })

    it('overwrites a key', async () => {
      const st = await make()
      await st.put('c/r/f.txt', Buffer.from('old'))
      await st.put('c/r/f.txt', Buffer.from('new content'))
      expect(await text((await st.get('c/r/f.txt'))!.stream)).toBe('new content')
    })

    it('a failing stream leaves nothing under a new key and keeps an existing one', async () => {
      const st = await make()
      await st.put('c/r/f.txt', Buffer.from('previous'))
      const failing = () => Readable.from((async function* () { yield Buffer.from('x'); throw new Error('boom') })())
      await expect(st.put('c/r/f.txt', failing())).rejects.toThrow('boom')
      await expect(st.put('c/r/g.txt', failing())).rejects.toThrow('boom')
      expect(await text((await st.get('c/r/f.txt'))!.stream)).toBe('previous')
      expect(await st.get('c/r/g.txt')).toBeNull()
    })

    it('reads byte ranges (inclusive) and reports the whole size', async () => {
      const st = await make()
      await st.put('c/r/digits.txt', Buffer.from('0123456789'))
      const part = await st.get('c/r/digits.txt', { range: { start: 2, end: 5 } })
      expect(part!.size).toBe(10)
      expect(await text(part!.stream)).toBe('2345')
      expect(await text((await st.get('c/r/digits.txt', { range: { start: 9, end: 9 } }))!.stream)).toBe('9')
    })

    it('stat gives size and time without content; missing keys are null', async () => {
      const st = await make()
      await st.put('c/r/s.bin', Buffer.alloc(1234))
      expect(await st.stat('c/r/s.bin')).toMatchObject({ size: 1234 })
      expect((await st.stat('c/r/s.bin'))!.modified).toBeInstanceOf(Date)
      expect(await st.stat('c/r/missing.bin')).toBeNull()
      expect(await st.get('c/r/missing.bin')).toBeNull()
      await st.delete('c/r/missing.bin')
    })

    it('deletes keys and prefixes, and lists keys under a prefix sorted', async () => {
      const st = await make()
      for (const k of ['c/r1/a.png', 'c/r1/thumbs_a.png/100x100_a.png', 'c/r1/thumbs_b.png/100x100_b.png', 'c/r2/a.png', 'c/r10/a.png']) {
        await st.put(k, Buffer.from(k))
      }
      expect((await st.list('c/r1/')).map((f) => f.key)).toEqual(['c/r1/a.png', 'c/r1/thumbs_a.png/100x100_a.png', 'c/r1/thumbs_b.png/100x100_b.png'])
      expect((await st.list('c/r1/thumbs_b')).map((f) => f.key)).toEqual(['c/r1/thumbs_b.png/100x100_b.png'])
      expect((await st.list('c/r1/a.png'))[0]).toMatchObject({ key: 'c/r1/a.png', size: 10 })
      await st.deletePrefix('c/r1/thumbs_a')
      expect((await st.list('c/r1/')).map((f) => f.key)).toEqual(['c/r1/a.png', 'c/r1/thumbs_b.png/100x100_b.png'])
      await st.deletePrefix('c/r1/')
      expect(await st.list('c/r1/')).toEqual([])
      expect((await st.list('c/')).map((f) => f.key)).toEqual(['c/r10/a.png', 'c/r2/a.png'])
      await st.delete('c/r2/a.png')
      expect(await st.get('c/r2/a.png')).toBeNull()
      expect(await st.list('nothing/')).toEqual([])
    })

    it.each(['../x', 'c/../../x', '/etc/passwd', 'c\\x', 'c/r/x\0', 'c/r/.hidden', ''])('refuses hostile key %j', async (key) => {
      const st = await make()
      await expect(st.put(key, Buffer.from('x'))).rejects.toBeInstanceOf(InvalidStorageKeyError)
      await expect(st.get(key)).rejects.toBeInstanceOf(InvalidStorageKeyError)
      await expect(st.stat(key)).rejects.toBeInstanceOf(InvalidStorageKeyError)
      await expect(st.delete(key)).rejects.toBeInstanceOf(InvalidStorageKeyError)
    })

    it.each(['/', '../', 'c/..', ''])('refuses hostile prefix %j', async (p) => {
      const st = await make()
      await expect(st.deletePrefix(p)).rejects.toBeInstanceOf(InvalidStorageKeyError)
    })
  })
}
