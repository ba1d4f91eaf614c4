// settings.s3 through the SDK against a real local S3-compatible server (s3rver): uploads, downloads, thumbs, deletes, test/s3.
import fs from 'node:fs'
import path from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type PocketBase from 'pocketbase'
import { S3FileStorage } from '../../src/files/s3-storage.ts'
import { startS3, type LocalS3 } from '../support/s3.ts'
import { startServer, type TestServer } from '../support/server.ts'
import { codeOf, failure } from './helpers.ts'

let s: TestServer
let s3: LocalS3
let su: PocketBase
let pb: PocketBase
let bucket: S3FileStorage
let png: Buffer

const file = (body: Buffer | string, name: string, type: string) => new File([body as BlobPart], name, { type })
const fetchPath = async (u: string, headers: Record<string, string> = {}) => {
  const res = await fetch(u, { headers })
  return { res, body: Buffer.from(await res.arrayBuffer()) }
}

beforeAll(async () => {
  s3 = await startS3(['files', 'other'])
  s = await startServer()
  su = await s.superuser()
  pb = s.client()
  bucket = new S3FileStorage(s3.config('files'))
  png = await sharp({ create: { width: 40, height: 40, channels: 3, background: '#00ff00' } }).png().toBuffer()
  await su.collections.create({ name: 'media', createRule: '', updateRule: '', deleteRule: '', fields: [{ name: 'pic', type: 'file', maxSelect: 1 }, { name: 'note', type: 'file', maxSelect: 1 }] })
})
afterAll(async () => {
  bucket?.close()
  await s?.close()
  await s3?.close()
})

describe('settings.s3', () => {
  it('defaults to disabled; the secret is stored but never returned', async () => {
    expect((await su.settings.getAll()).s3).toEqual({ enabled: false, bucket: '', region: '', endpoint: '', accessKey: '', secret: '', forcePathStyle: false })
    const updated = await su.settings.update({ s3: s3.config('files') })
    expect(updated.s3).toMatchObject({ enabled: true, bucket: 'files', accessKey: 'S3RVER', secret: '' })
    expect((await su.settings.getAll()).s3.secret).toBe('')
    // A read-modify-write with the blank secret keeps the stored one.
    await su.settings.update({ s3: { ...(await su.settings.getAll()).s3 } })
    expect((await s.app.settings.get()).s3.secret).toBe('S3RVER')
  })

  it('an enabled config without bucket or keys is refused per field', async () => {
    const f = await failure(su.settings.update({ s3: { enabled: true, bucket: '', region: '', endpoint: '', accessKey: '', secret: '' } }))
    expect(f.status).toBe(400)
    expect((f.body.data as Record<string, Record<string, { code: string }>>).s3.bucket.code).toBe('validation_required')
    expect((await s.app.settings.get()).s3.bucket).toBe('files')
  })

  it('POST /api/settings/test/s3 (pb.settings.testS3) checks the saved config', async () => {
    expect(await su.settings.testS3('storage')).toBe(true)
    const bad = await failure(su.settings.testS3('nope'))
    expect([bad.status, codeOf(bad, 'filesystem')]).toEqual([400, 'validation_in_invalid'])
    const backups = await failure(su.settings.testS3('backups'))
    expect(backups.status).toBe(400)
    expect(backups.body.message).toContain('not enabled')
    expect((await failure(pb.settings.testS3('storage'))).status).toBe(401)
  })
})

describe('files on S3', () => {
  it('uploads go to the bucket (not the data dir), download with ranges and 304s, thumbs are cached in the bucket, deletes remove them', async () => {
    const rec = await pb.collection('media').create({ pic: file(png, 'green.png', 'image/png'), note: file('hello from s3', 'n.txt', 'text/plain') })
    const key = `${rec.collectionId}/${rec.id}/${rec.pic}`
    expect(await bucket.stat(key)).toMatchObject({ size: png.length })
    expect(fs.existsSync(path.join(s.dir, 'storage', rec.collectionId, rec.id))).toBe(false)

    const whole = await fetchPath(pb.files.getURL(rec, rec.note))
    expect([whole.res.status, whole.body.toString()]).toEqual([200, 'hello from s3'])
    const part = await fetchPath(pb.files.getURL(rec, rec.note), { Range: 'bytes=6-9' })
    expect([part.res.status, part.body.toString(), part.res.headers.get('content-range')]).toEqual([206, 'from', 'bytes 6-9/13'])
    expect((await fetchPath(pb.files.getURL(rec, rec.note), { 'If-None-Match': whole.res.headers.get('etag')! })).res.status).toBe(304)

    const thumb = await fetchPath(pb.files.getURL(rec, rec.pic, { thumb: '100x100' }))
    expect(thumb.res.status).toBe(200)
    expect((await sharp(thumb.body).metadata()).width).toBe(100)
    expect(await bucket.stat(`${rec.collectionId}/${rec.id}/thumbs_${rec.pic}/100x100_${rec.pic}`)).not.toBeNull()

    await pb.collection('media').update(rec.id, { note: null })
    expect(await bucket.stat(`${rec.collectionId}/${rec.id}/${rec.note}`)).toBeNull()
    await pb.collection('media').delete(rec.id)
    expect(await bucket.list(`${rec.collectionId}/${rec.id}/`)).toEqual([])
  })

  it('switching back to local storage serves local files again (no restart)', async () => {
    await su.settings.update({ s3: { enabled: false } })
    const rec = await pb.collection('media').create({ note: file('local again', 'l.txt', 'text/plain') })
    expect(fs.readFileSync(path.join(s.dir, 'storage', rec.collectionId, rec.id, rec.note), 'utf8')).toBe('local again')
    expect((await fetchPath(pb.files.getURL(rec, rec.note))).body.toString()).toBe('local again')
  })
})
