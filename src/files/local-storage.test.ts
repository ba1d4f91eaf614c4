// Unit tests for LocalFileStorage: round trips, atomic writes, prefix deletes and path-traversal refusal.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { LocalFileStorage } from './local-storage.ts'
import { InvalidStorageKeyError, assertValidKey, fileKey, recordPrefix } from './storage.ts'

let base: string
let root: string
let store: LocalFileStorage

async function read(s: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = []
  for await (const c of s as AsyncIterable<Buffer>) chunks.push(Buffer.from(c))
  return Buffer.concat(chunks).toString()
}

beforeEach(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'basalt-files-'))
  root = path.join(base, 'storage')
  // A sibling that traversal attempts would like to reach.
  fs.writeFileSync(path.join(base, 'secret.txt'), 'TOP SECRET')
  store = new LocalFileStorage(root)
})
afterEach(() => fs.rmSync(base, { recursive: true, force: true }))

describe('LocalFileStorage', () => {
  it('puts and gets buffers and streams', async () => {
    await store.put('c1/r1/a_abcde12345.txt', Buffer.from('hello'))
    const got = await store.get('c1/r1/a_abcde12345.txt')
    expect(got!.size).toBe(5)
    expect(await read(got!.stream)).toBe('hello')
    expect(fs.readFileSync(path.join(root, 'c1/r1/a_abcde12345.txt'), 'utf8')).toBe('hello')

    await store.put('c1/r1/b.txt', Readable.from([Buffer.from('str'), Buffer.from('eam')]))
    const g2 = await store.get('c1/r1/b.txt')
    expect(g2!.size).toBe(6)
    expect(await read(g2!.stream)).toBe('stream')
  })

  it('overwrites atomically and leaves no temp files', async () => {
    await store.put('c/r/f.bin', Buffer.from('old'))
    await store.put('c/r/f.bin', Buffer.from('new-content'))
    expect(await read((await store.get('c/r/f.bin'))!.stream)).toBe('new-content')
    expect(fs.readdirSync(path.join(root, 'c/r'))).toEqual(['f.bin'])
  })

  it('a failing stream leaves neither the key nor a temp file, and keeps the previous version', async () => {
    await store.put('c/r/f.bin', Buffer.from('previous'))
    const failing = new Readable({
      read() {
        this.push(Buffer.from('partial'))
        this.destroy(new Error('client aborted'))
      },
    })
    await expect(store.put('c/r/f.bin', failing)).rejects.toThrow('client aborted')
    expect(fs.readdirSync(path.join(root, 'c/r'))).toEqual(['f.bin'])
    expect(await read((await store.get('c/r/f.bin'))!.stream)).toBe('previous')
    await expect(store.put('c/r/g.bin', Readable.from((async function* () {
      yield Buffer.from('x')
      throw new Error('boom')
    })()))).rejects.toThrow('boom')
    expect(await store.get('c/r/g.bin')).toBeNull()
    expect(fs.readdirSync(path.join(root, 'c/r'))).toEqual(['f.bin'])
  })

  it('get of missing keys (and directories) returns null; delete of missing keys is a no-op', async () => {
    expect(await store.get('c/r/missing.png')).toBeNull()
    await store.put('c/r/x.png', Buffer.from('x'))
    expect(await store.get('c/r')).toBeNull()
    expect(await store.get('c/r/x.png/y')).toBeNull()
    await store.delete('c/r/missing.png')
    await store.delete('nope/nope/nope')
    await store.delete('c/r/x.png')
    expect(await store.get('c/r/x.png')).toBeNull()
  })

  it('deletePrefix removes a record directory or a name prefix only', async () => {
    await store.put('c/r1/a.png', Buffer.from('1'))
    await store.put('c/r1/thumbs_a.png/100x100_a.png', Buffer.from('2'))
    await store.put('c/r1/thumbs_b.png/100x100_b.png', Buffer.from('3'))
    await store.put('c/r2/a.png', Buffer.from('4'))
    await store.put('c/r10/a.png', Buffer.from('5'))

    await store.deletePrefix('c/r1/thumbs_a')
    expect(fs.readdirSync(path.join(root, 'c/r1')).sort()).toEqual(['a.png', 'thumbs_b.png'])

    await store.deletePrefix(recordPrefix('c', 'r1'))
    expect(fs.existsSync(path.join(root, 'c/r1'))).toBe(false)
    expect(await store.get('c/r2/a.png')).not.toBeNull()
    expect(await store.get('c/r10/a.png')).not.toBeNull()
    await store.deletePrefix('c/missing/')
    await store.deletePrefix('zzz/q')
  })

  const hostile = [
    '../secret.txt', '../../etc/passwd', 'c/../../secret.txt', 'c/r/../../../secret.txt', '/etc/passwd', '//etc/passwd',
    'c\\..\\..\\secret.txt', 'c/r/x\0.png', 'c/r/x.png\0', '..', '.', 'c/./r/x', 'c//x', 'c/r/', '', 'c/r/.hidden',
    'c/r/.tmp-1234-x', 'c/r/..x', 'c/r/x y.png', 'c/r/%2e%2e', 'C:/x', 'c/r/x\n.png', 'c/r/é.png', 'c/r/' + 'a'.repeat(256),
    'a/'.repeat(600) + 'x',
  ]

  it.each(hostile)('refuses hostile key %j for every operation', async (key) => {
    await expect(store.put(key, Buffer.from('pwn'))).rejects.toBeInstanceOf(InvalidStorageKeyError)
    await expect(store.get(key)).rejects.toBeInstanceOf(InvalidStorageKeyError)
    await expect(store.delete(key)).rejects.toBeInstanceOf(InvalidStorageKeyError)
    expect(fs.readFileSync(path.join(base, 'secret.txt'), 'utf8')).toBe('TOP SECRET')
  })

  it.each(['', '/', '../', '..', 'c/../', 'c/..', '/etc/', 'c\\', 'c/r/.', 'c/.tmp'])('refuses hostile prefix %j', async (p) => {
    await expect(store.deletePrefix(p)).rejects.toBeInstanceOf(InvalidStorageKeyError)
    expect(fs.existsSync(path.join(base, 'secret.txt'))).toBe(true)
  })

  it('refuses non-string keys', async () => {
    await expect(store.get(undefined as unknown as string)).rejects.toBeInstanceOf(InvalidStorageKeyError)
  })
})

describe('key helpers', () => {
  it('builds and validates record keys', () => {
    expect(fileKey('_pb_users_auth_', 'u3k2l1m9n8b7v6c', 'avatar_abcde12345.png')).toBe('_pb_users_auth_/u3k2l1m9n8b7v6c/avatar_abcde12345.png')
    expect(() => fileKey('c', 'r', '../x')).toThrow(InvalidStorageKeyError)
    expect(() => fileKey('c', 'r', 'a/b')).toThrow(InvalidStorageKeyError)
    expect(() => fileKey('c', '', 'a')).toThrow(InvalidStorageKeyError)
    expect(recordPrefix('pbc_123', 'abc')).toBe('pbc_123/abc/')
    expect(() => recordPrefix('c', 'r/x')).toThrow(InvalidStorageKeyError)
    expect(() => recordPrefix('c', '..')).toThrow(InvalidStorageKeyError)
    expect(assertValidKey('c/r/thumbs_a.png/100x100t_a.png')).toHaveLength(4)
  })
})
