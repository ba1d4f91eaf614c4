// Serving files through the SDK's URLs: thumbnails, ranges, validators, downloads, public vs protected access, sniffed mimeTypes.
import fs from 'node:fs'
import path from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type PocketBase from 'pocketbase'
import type { RecordModel } from 'pocketbase'
import { startServer, type TestServer } from '../support/server.ts'
import { codeOf, failure, raw } from './helpers.ts'

let s: TestServer
let su: PocketBase
let pb: PocketBase
let alice: PocketBase
let tallPng: Buffer
let photo: RecordModel

const THUMBS = ['10x10', '10x10t', '10x10b', '10x10f', '0x20', '10x0']
const file = (body: Buffer | string, name: string, type: string) => new File([body as BlobPart], name, { type })
const urlPath = (u: string) => u.replace(s.url, '')

async function image(buf: Buffer) {
  const { data, info } = await sharp(buf).raw().toBuffer({ resolveWithObject: true })
  const px = (x: number, y: number) => {
    const i = (y * info.width + x) * info.channels
    return data[i] > 200 && data[i + 2] < 50 ? 'red' : data[i + 2] > 200 && data[i] < 50 ? 'blue' : 'mixed'
  }
  return { width: info.width, height: info.height, px }
}

async function get(p: string, headers: Record<string, string> = {}, token?: string) {
  const res = await fetch(s.url + p, { headers: { ...headers, ...(token ? { Authorization: token } : {}) } })
  return { res, body: Buffer.from(await res.arrayBuffer()) }
}

beforeAll(async () => {
  s = await startServer()
  su = await s.superuser()
  pb = s.client()
  // 20×40: top half red, bottom half blue, so each crop mode shows in the pixels.
  const blue = await sharp({ create: { width: 20, height: 20, channels: 3, background: '#0000ff' } }).png().toBuffer()
  tallPng = await sharp({ create: { width: 20, height: 40, channels: 3, background: '#ff0000' } }).composite([{ input: blue, top: 20, left: 0 }]).png().toBuffer()
  await su.collections.create({
    name: 'gallery', createRule: '', listRule: null, viewRule: null,
    fields: [
      { name: 'photo', type: 'file', maxSelect: 1, thumbs: THUMBS },
      { name: 'doc', type: 'file', maxSelect: 1 },
      { name: 'pngs', type: 'file', maxSelect: 2, mimeTypes: ['image/png'] },
      { name: 'texts', type: 'file', maxSelect: 2, mimeTypes: ['text/plain', 'text/csv'] },
    ],
  })
  await su.collections.create({
    name: 'vault', createRule: '', viewRule: 'owner = @request.auth.id',
    fields: [{ name: 'owner', type: 'text' }, { name: 'secret', type: 'file', maxSelect: 1, protected: true }, { name: 'open', type: 'file', maxSelect: 1 }],
  })
  await su.collections.create({
    name: 'guarded', createRule: '', viewRule: 'shared = true', fileAccess: 'viewRule',
    fields: [{ name: 'shared', type: 'bool' }, { name: 'doc', type: 'file', maxSelect: 1 }],
  })
  await su.collection('users').create({ email: 'alice@example.com', password: 'alice-password-1', passwordConfirm: 'alice-password-1' })
  alice = s.client()
  await alice.collection('users').authWithPassword('alice@example.com', 'alice-password-1')
  photo = await pb.collection('gallery').create({ photo: file(tallPng, 'tall.png', 'image/png'), doc: file('0123456789abcdef', 'notes.txt', 'text/plain') })
})
afterAll(async () => { await s?.close() })

describe('thumbnails (?thumb=)', () => {
  it.each([
    ['10x10', 10, 10, 'red', 'blue'], ['10x10t', 10, 10, 'red', 'red'], ['10x10b', 10, 10, 'blue', 'blue'],
    ['10x10f', 5, 10, 'red', 'blue'], ['0x20', 10, 20, 'red', 'blue'], ['10x0', 10, 20, 'red', 'blue'],
  ])('%s → %ix%i (top %s, bottom %s), stored next to the original', async (thumb, w, h, top, bottom) => {
    const { res, body } = await get(urlPath(pb.files.getURL(photo, photo.photo, { thumb })))
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('image/png')
    expect(res.headers.get('content-disposition')).toContain(`filename="${thumb}_${photo.photo}"`)
    const img = await image(body)
    expect([img.width, img.height]).toEqual([w, h])
    expect(img.px(Math.floor(w / 2), 0)).toBe(top)
    expect(img.px(Math.floor(w / 2), h - 1)).toBe(bottom)
    const stored = path.join(s.dir, 'storage', photo.collectionId, photo.id, `thumbs_${photo.photo}`, `${thumb}_${photo.photo}`)
    expect(fs.readFileSync(stored).equals(body)).toBe(true)
  })

  it('100x100 is always allowed; sizes the field does not list, bad sizes and non-images get the original', async () => {
    const def = await image((await get(urlPath(pb.files.getURL(photo, photo.photo, { thumb: '100x100' })))).body)
    expect([def.width, def.height]).toEqual([100, 100])
    for (const thumb of ['20x20', '0x0', 'x', '10x10x', '99999x99999']) {
      const { res, body } = await get(urlPath(pb.files.getURL(photo, photo.photo, { thumb })))
      expect(res.status).toBe(200)
      expect(body.equals(tallPng)).toBe(true)
    }
    const txt = await get(urlPath(pb.files.getURL(photo, photo.doc, { thumb: '100x100' })))
    expect(txt.body.toString()).toBe('0123456789abcdef')
    expect(fs.existsSync(path.join(s.dir, 'storage', photo.collectionId, photo.id, `thumbs_${photo.doc}`))).toBe(false)
  })

  it('concurrent requests for a missing thumb render it once', async () => {
    const rec = await pb.collection('gallery').create({ photo: file(tallPng, 'burst.png', 'image/png') })
    const files = s.app.files
    const puts: string[] = []
    const put = files.put.bind(files)
    files.put = async (key, data) => { puts.push(key); return put(key, data) }
    try {
      const url = urlPath(pb.files.getURL(rec, rec.photo, { thumb: '10x10t' }))
      const all = await Promise.all(Array.from({ length: 8 }, () => get(url)))
      expect(all.map((r) => r.res.status)).toEqual(Array(8).fill(200))
      for (const r of all) expect(r.body.equals(all[0].body)).toBe(true)
      expect(puts).toEqual([`${rec.collectionId}/${rec.id}/thumbs_${rec.photo}/10x10t_${rec.photo}`])
      await get(url)
      expect(puts).toHaveLength(1)
    } finally {
      files.put = put
    }
  })

  it('replacing or deleting the original removes its thumbs', async () => {
    const rec = await pb.collection('gallery').create({ photo: file(tallPng, 'gone.png', 'image/png') })
    await get(urlPath(pb.files.getURL(rec, rec.photo, { thumb: '10x10' })))
    const thumbsDir = path.join(s.dir, 'storage', rec.collectionId, rec.id, `thumbs_${rec.photo}`)
    expect(fs.readdirSync(thumbsDir)).toEqual([`10x10_${rec.photo}`])
    await su.collection('gallery').update(rec.id, { photo: file(tallPng, 'new.png', 'image/png') })
    expect(fs.existsSync(thumbsDir)).toBe(false)
  })

  it('a corrupt image named .png falls back to the original', async () => {
    const rec = await pb.collection('gallery').create({ doc: file(Buffer.concat([tallPng.subarray(0, 40), Buffer.alloc(40)]), 'broken.png', 'image/png') })
    const { res, body } = await get(urlPath(pb.files.getURL(rec, rec.doc, { thumb: '100x100' })))
    expect(res.status).toBe(200)
    expect(body).toHaveLength(80)
  })
})

describe('HTTP semantics', () => {
  const docUrl = () => urlPath(pb.files.getURL(photo, photo.doc))

  it('serves ETag, Last-Modified, Accept-Ranges, nosniff and the sandbox CSP', async () => {
    const { res } = await get(docUrl())
    expect(res.headers.get('etag')).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/)
    expect(new Date(res.headers.get('last-modified')!).getTime()).toBeGreaterThan(Date.now() - 600_000)
    expect(res.headers.get('accept-ranges')).toBe('bytes')
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(res.headers.get('content-security-policy')).toContain('sandbox')
    expect(res.headers.get('cache-control')).toBe('max-age=2592000, stale-while-revalidate=86400')
  })

  it('If-None-Match / If-Modified-Since → 304 without a body', async () => {
    const first = await get(docUrl())
    const etag = first.res.headers.get('etag')!
    const a = await get(docUrl(), { 'If-None-Match': etag })
    expect(a.res.status).toBe(304)
    expect(a.body).toHaveLength(0)
    expect(a.res.headers.get('etag')).toBe(etag)
    expect((await get(docUrl(), { 'If-Modified-Since': first.res.headers.get('last-modified')! })).res.status).toBe(304)
    expect((await get(docUrl(), { 'If-None-Match': '"stale"' })).res.status).toBe(200)
  })

  it('Range → 206 with Content-Range; past the end → 416; multiple ranges → whole file', async () => {
    const a = await get(docUrl(), { Range: 'bytes=2-5' })
    expect(a.res.status).toBe(206)
    expect(a.res.headers.get('content-range')).toBe('bytes 2-5/16')
    expect(a.body.toString()).toBe('2345')
    const b = await get(docUrl(), { Range: 'bytes=-3' })
    expect([b.res.status, b.body.toString()]).toEqual([206, 'def'])
    const c = await get(docUrl(), { Range: 'bytes=16-' })
    expect(c.res.status).toBe(416)
    expect(c.res.headers.get('content-range')).toBe('bytes */16')
    const d = await get(docUrl(), { Range: 'bytes=0-1,4-5' })
    expect([d.res.status, d.body.toString()]).toEqual([200, '0123456789abcdef'])
    const e = await get(docUrl(), { Range: 'bytes=0-1', 'If-Range': '"stale"' })
    expect(e.res.status).toBe(200)
  })

  it('HEAD answers the headers only', async () => {
    const res = await fetch(s.url + docUrl(), { method: 'HEAD' })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-length')).toBe('16')
    expect(res.headers.get('etag')).toBeTruthy()
  })

  it('?download=1 (SDK `download: true`) forces an attachment', async () => {
    const { res } = await get(urlPath(pb.files.getURL(photo, photo.photo, { download: true })))
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="/)
    expect((await get(urlPath(pb.files.getURL(photo, photo.photo)))).res.headers.get('content-disposition')).toMatch(/^inline; /)
  })

  it('SVG and HTML uploads are attachments with nosniff and a sandbox CSP, never inline script', async () => {
    const rec = await pb.collection('gallery').create({ doc: file('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', 'x.svg', 'image/svg+xml') })
    const { res } = await get(urlPath(pb.files.getURL(rec, rec.doc)))
    expect(res.headers.get('content-type')).toBe('image/svg+xml')
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; /)
    expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; media-src 'self'; style-src 'unsafe-inline'; sandbox")
  })
})

describe('public vs protected files', () => {
  it('files of non-protected fields are public by URL, even when the record is not viewable (PocketBase)', async () => {
    expect((await failure(pb.collection('gallery').getOne(photo.id))).status).toBe(403)
    const { res, body } = await get(urlPath(pb.files.getURL(photo, photo.doc)))
    expect([res.status, body.toString()]).toEqual([200, '0123456789abcdef'])
  })

  it('protected files: guests and callers failing the view rule get 404; the owner gets them, never cached', async () => {
    const rec = await alice.collection('vault').create({ owner: alice.authStore.record!.id, secret: file('top secret', 's.txt', 'text/plain'), open: file('open', 'o.txt', 'text/plain') })
    const url = urlPath(pb.files.getURL(rec, rec.secret))
    expect((await get(url)).res.status).toBe(404)
    const bob = await su.collection('users').create({ email: 'bob@example.com', password: 'bob-password-12', passwordConfirm: 'bob-password-12' })
    const bobClient = s.client()
    await bobClient.collection('users').authWithPassword(bob.email, 'bob-password-12')
    expect((await get(url, {}, bobClient.authStore.token)).res.status).toBe(404)
    const own = await get(url, {}, alice.authStore.token)
    expect([own.res.status, own.body.toString()]).toEqual([200, 'top secret'])
    expect(own.res.headers.get('cache-control')).toBe('private, no-store')
    expect((await get(url, {}, su.authStore.token)).res.status).toBe(200)
    // The same record's non-protected field stays public.
    expect((await get(urlPath(pb.files.getURL(rec, rec.open)))).res.status).toBe(200)
  })

  it('fileAccess "viewRule" guards every file with the view rule and round-trips through the collections API', async () => {
    const c = await su.collections.getOne('guarded')
    expect(c.fileAccess).toBe('viewRule')
    expect((await su.collections.getOne('gallery')).fileAccess).toBe('public')
    const hidden = await pb.collection('guarded').create({ shared: false, doc: file('hidden', 'h.txt', 'text/plain') })
    const shared = await pb.collection('guarded').create({ shared: true, doc: file('shared', 'sh.txt', 'text/plain') })
    expect((await get(urlPath(pb.files.getURL(hidden, hidden.doc)))).res.status).toBe(404)
    const ok = await get(urlPath(pb.files.getURL(shared, shared.doc)))
    expect([ok.res.status, ok.body.toString()]).toEqual([200, 'shared'])
    expect(ok.res.headers.get('cache-control')).toBe('private, no-cache')

    await su.collections.update('guarded', { fileAccess: 'public' })
    expect((await su.collections.getOne('guarded')).fileAccess).toBe('public')
    expect((await get(urlPath(pb.files.getURL(hidden, hidden.doc)))).res.status).toBe(200)
    await su.collections.update('guarded', { fileAccess: 'viewRule' })
    expect((await get(urlPath(pb.files.getURL(hidden, hidden.doc)))).res.status).toBe(404)

    const bad = await failure(su.collections.update('guarded', { fileAccess: 'everyone' }))
    expect([bad.status, codeOf(bad, 'fileAccess')]).toEqual([400, 'validation_in_invalid'])
    expect((await su.collections.getOne('guarded')).fileAccess).toBe('viewRule')
  })
})

describe('mimeTypes are checked against the content', () => {
  it.each([
    ['text declared image/png', () => ({ pngs: [file('not an image', 'fake.png', 'image/png')] }), 'pngs', 'text/plain'],
    ['HTML declared image/png', () => ({ pngs: [file('<html><script>alert(1)</script>', 'x.png', 'image/png')] }), 'pngs', 'text/html'],
    ['a PNG declared text/plain', () => ({ texts: [file(tallPng, 'x.txt', 'text/plain')] }), 'texts', 'image/png'],
    ['SVG declared text/plain', () => ({ texts: [file('<svg onload="alert(1)"/>', 'x.txt', 'text/plain')] }), 'texts', 'image/svg+xml'],
  ])('%s → 400 naming the field and the detected type', async (_label, body, field, detected) => {
    const f = await failure(pb.collection('gallery').create(body()))
    expect(f.status).toBe(400)
    expect(codeOf(f, field)).toBe('validation_invalid_mime_type')
    expect((f.body.data as Record<string, { message: string }>)[field].message).toContain(`content is ${detected}`)
  })

  it('content that matches is accepted whatever the client declared', async () => {
    const rec = await pb.collection('gallery').create({
      pngs: [file(tallPng, 'a.png', 'application/octet-stream')],
      texts: [file('a,b\n1,2\n', 'a.csv', 'text/csv'), file('plain', 'b.txt', 'text/plain')],
    })
    expect(rec.pngs).toHaveLength(1)
    expect(rec.texts).toHaveLength(2)
  })
})
