// File fields through the SDK: multipart uploads, stored names, serving, replacement/deletion on disk, limits.
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type PocketBase from 'pocketbase'
import { startServer, type TestServer } from '../support/server.ts'
import { codeOf, failure, raw } from './helpers.ts'

let s: TestServer
let su: PocketBase
let pb: PocketBase
let docsId: string

// A minimal valid PNG (1×1), so content sniffing and declared type agree.
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a5f1f0a40000000049454e44ae426082', 'hex')
const png = (name: string) => new File([PNG], name, { type: 'image/png' })
const text = (name: string, body: string) => new File([body], name, { type: 'text/plain' })

const onDisk = (recordId: string, name?: string) => path.join(s.dir, 'storage', docsId, recordId, ...(name ? [name] : []))
const exists = (p: string) => fs.existsSync(p)

beforeAll(async () => {
  s = await startServer()
  su = await s.superuser()
  pb = s.client()
  const docs = await su.collections.create({
    name: 'docs', listRule: '', viewRule: '', createRule: '', updateRule: '', deleteRule: '',
    fields: [
      { name: 'title', type: 'text' },
      { name: 'count', type: 'number' },
      { name: 'flag', type: 'bool' },
      { name: 'meta', type: 'json' },
      { name: 'tags', type: 'select', values: ['a', 'b', 'c'], maxSelect: 3 },
      { name: 'attachment', type: 'file', maxSelect: 1, maxSize: 100 },
      { name: 'images', type: 'file', maxSelect: 3, maxSize: 10000, mimeTypes: ['image/png'] },
    ],
  })
  docsId = docs.id
  await su.collections.create({ name: 'secrets', createRule: '', fileAccess: 'viewRule', fields: [{ name: 'doc', type: 'file', maxSelect: 1 }] })
})
afterAll(async () => { await s?.close() })

describe('upload and serve', () => {
  it('stores an uploaded file under a normalized name and serves its bytes', async () => {
    const rec = await pb.collection('docs').create({ title: 'report', attachment: text('My Report.txt', 'hello world') })
    expect(rec.attachment).toMatch(/^my_report_[a-z0-9]{10}\.txt$/)
    expect(fs.readFileSync(onDisk(rec.id, rec.attachment), 'utf8')).toBe('hello world')

    const res = await raw(s, `/api/files/docs/${rec.id}/${rec.attachment}`)
    expect(res.status).toBe(200)
    expect(res.text).toBe('hello world')
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    // the SDK's URL helper and the collection id both work
    const viaSdk = await fetch(pb.files.getURL(rec, rec.attachment))
    expect(await viaSdk.text()).toBe('hello world')
    expect((await raw(s, `/api/files/${docsId}/${rec.id}/${rec.attachment}`)).status).toBe(200)
  })

  it('multipart values are type-inferred and objects arrive through @jsonPayload', async () => {
    const rec = await pb.collection('docs').create({
      title: '007', count: 5, flag: true, tags: ['a', 'c'], meta: { nested: { list: [1, 2] }, s: 'x' },
      attachment: new Blob(['blob body'], { type: 'text/plain' }),
    })
    expect(rec).toMatchObject({ title: '007', count: 5, flag: true, tags: ['a', 'c'], meta: { nested: { list: [1, 2] }, s: 'x' } })
    expect(rec.attachment).toMatch(/_[a-z0-9]{10}(\.[a-z0-9]+)?$/)
    expect((await raw(s, `/api/files/docs/${rec.id}/${rec.attachment}`)).text).toBe('blob body')
  })

  it('multiple files, append with `images+`, remove with `images-`', async () => {
    const rec = await pb.collection('docs').create({ title: 'gallery', images: [png('one.png'), png('two.png')] })
    expect(rec.images).toHaveLength(2)
    expect(rec.images[0]).toMatch(/^one_[a-z0-9]{10}\.png$/)
    expect(rec.images[1]).toMatch(/^two_[a-z0-9]{10}\.png$/)
    const added = await pb.collection('docs').update(rec.id, { 'images+': png('three.png') })
    expect(added.images.slice(0, 2)).toEqual(rec.images)
    expect(added.images[2]).toMatch(/^three_/)
    const removed = await pb.collection('docs').update(rec.id, { 'images-': [rec.images[0]] })
    expect(removed.images).toEqual(added.images.slice(1))
    expect(exists(onDisk(rec.id, rec.images[0]))).toBe(false)
    for (const n of removed.images) expect(exists(onDisk(rec.id, n))).toBe(true)
    expect((await raw(s, `/api/files/docs/${rec.id}/${rec.images[0]}`)).status).toBe(404)
  })
})

describe('replace and delete', () => {
  it('replacing a single file deletes the old one from disk', async () => {
    const rec = await pb.collection('docs').create({ attachment: text('a.txt', 'old') })
    const upd = await pb.collection('docs').update(rec.id, { attachment: text('b.txt', 'new') })
    expect(upd.attachment).toMatch(/^b_[a-z0-9]{10}\.txt$/)
    expect(exists(onDisk(rec.id, rec.attachment))).toBe(false)
    expect(fs.readFileSync(onDisk(rec.id, upd.attachment), 'utf8')).toBe('new')
    expect((await raw(s, `/api/files/docs/${rec.id}/${rec.attachment}`)).status).toBe(404)
  })

  it('setting the field to null / [] removes the files', async () => {
    const rec = await pb.collection('docs').create({ attachment: text('x.txt', 'x'), images: [png('p.png')] })
    const upd = await pb.collection('docs').update(rec.id, { attachment: null, images: [] })
    expect(upd).toMatchObject({ attachment: '', images: [] })
    expect(exists(onDisk(rec.id, rec.attachment))).toBe(false)
    expect(exists(onDisk(rec.id, rec.images[0]))).toBe(false)
  })

  it('deleting the record deletes its files', async () => {
    const rec = await pb.collection('docs').create({ attachment: text('gone.txt', 'bye'), images: [png('g.png')] })
    expect(exists(onDisk(rec.id, rec.attachment))).toBe(true)
    await pb.collection('docs').delete(rec.id)
    expect(exists(onDisk(rec.id, rec.attachment))).toBe(false)
    expect(exists(onDisk(rec.id, rec.images[0]))).toBe(false)
  })

  it('a JSON update of other fields keeps the files', async () => {
    const rec = await pb.collection('docs').create({ attachment: text('keep.txt', 'kept') })
    const upd = await pb.collection('docs').update(rec.id, { title: 'renamed' })
    expect(upd.attachment).toBe(rec.attachment)
    expect(exists(onDisk(rec.id, rec.attachment))).toBe(true)
  })
})

describe('limits', () => {
  it.each([
    ['maxSize', () => ({ attachment: text('big.txt', 'x'.repeat(200)) }), 'attachment', 'validation_file_size_limit'],
    ['mimeTypes', () => ({ images: [text('fake.txt', 'not an image')] }), 'images', 'validation_invalid_mime_type'],
    ['maxSelect', () => ({ images: [png('1.png'), png('2.png'), png('3.png'), png('4.png')] }), 'images', 'validation_too_many_files'],
  ])('%s violation → 400, nothing stored', async (_label, body, field, code) => {
    const before = (await su.collection('docs').getList(1, 1)).totalItems
    const f = await failure(pb.collection('docs').create({ title: 'bad', ...body() }))
    expect(f.status).toBe(400)
    expect(codeOf(f, field)).toBe(code)
    expect((await su.collection('docs').getList(1, 1)).totalItems).toBe(before)
    const dir = path.join(s.dir, 'storage', docsId)
    const stored = fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true }).map(String) : []
    expect(stored.filter((n) => /^(big|fake|1|2|3|4)_/.test(path.basename(n)))).toEqual([])
  })

  it('a failed update keeps the previous file', async () => {
    const rec = await pb.collection('docs').create({ attachment: text('ok.txt', 'ok') })
    const f = await failure(pb.collection('docs').update(rec.id, { attachment: text('huge.txt', 'y'.repeat(500)) }))
    expect(codeOf(f, 'attachment')).toBe('validation_file_size_limit')
    expect((await pb.collection('docs').getOne(rec.id)).attachment).toBe(rec.attachment)
    expect(fs.readFileSync(onDisk(rec.id, rec.attachment), 'utf8')).toBe('ok')
  })
})

describe('file access', () => {
  it.each([
    ['unknown file name', (id: string) => `/api/files/docs/${id}/nope_abcdefghij.txt`],
    ['unknown record', () => '/api/files/docs/zzzzzzzzzzzzzzz/x_abcdefghij.txt'],
    ['unknown collection', (id: string) => `/api/files/nope/${id}/x_abcdefghij.txt`],
    ['path traversal', (id: string) => `/api/files/docs/${id}/..%2F..%2Fdata.db`],
  ])('%s → 404', async (_label, url) => {
    const rec = await pb.collection('docs').create({ attachment: text('t.txt', 't') })
    expect((await raw(s, url(rec.id))).status).toBe(404)
  })

  it('with fileAccess "viewRule", a file of a record the caller cannot view → 404', async () => {
    const rec = await s.client().collection('secrets').create({ doc: text('s.txt', 'secret') })
    expect((await raw(s, `/api/files/secrets/${rec.id}/${rec.doc}`)).status).toBe(404)
    const stored = await su.collection('secrets').getOne(rec.id)
    expect(stored.doc).toMatch(/^s_[a-z0-9]{10}\.txt$/)
  })
})
