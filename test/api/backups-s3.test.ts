// Backups on S3 (settings.backups.s3) against a local S3-compatible server (s3rver), through the SDK.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type PocketBase from 'pocketbase'
import { startServer, TEST_STORE, type TestServer } from '../support/server.ts'
import { startS3, type LocalS3 } from '../support/s3.ts'
import { S3FileStorage } from '../../src/files/s3-storage.ts'
import { listZip } from '../../src/backups/zip-reader.ts'
import { hasStagedRestore } from '../../src/backups/restore.ts'
import { failure } from './helpers.ts'

let s: TestServer
let su: PocketBase
let s3: LocalS3
let bucket: S3FileStorage
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'basalt-backups-s3-'))

beforeAll(async () => {
  s3 = await startS3(['backups'])
  bucket = new S3FileStorage(s3.config('backups'))
  s = await startServer()
  su = await s.superuser()
})
afterAll(async () => {
  await s?.close()
  bucket?.close()
  await s3?.close()
  fs.rmSync(tmp, { recursive: true, force: true })
})

describe.skipIf(TEST_STORE !== 'sqlite')('backups on S3', () => {
  it('create, list, download, upload, restore and delete go to the bucket of settings.backups.s3', async () => {
    await su.backups.create('local_only.zip')
    await su.settings.update({ backups: { s3: s3.config('backups') } })
    await su.send('/api/settings/test/s3', { method: 'POST', body: { filesystem: 'backups' } }) // 204, or throws

    await su.backups.create('cloud.zip')
    expect((await su.backups.getFullList()).map((b) => b.key)).toEqual(['cloud.zip'])
    expect(await bucket.stat('cloud.zip')).toMatchObject({ size: expect.any(Number) })
    expect(fs.existsSync(path.join(s.dir, 'backups', 'cloud.zip'))).toBe(false)

    const res = await fetch(su.backups.getDownloadURL(await su.files.getToken(), 'cloud.zip'))
    expect(res.status).toBe(200)
    const file = path.join(tmp, 'cloud.zip')
    fs.writeFileSync(file, Buffer.from(await res.arrayBuffer()))
    expect((await listZip(file)).map((e) => e.name)).toContain('data.db')

    await su.backups.upload({ file: new File([new Uint8Array(fs.readFileSync(file))], 'copy.zip', { type: 'application/zip' }) })
    expect((await bucket.list('')).map((f) => f.key)).toEqual(['cloud.zip', 'copy.zip'])

    // A restore from S3 downloads and checks the archive, then stages it for the restart.
    expect(await su.backups.restore('copy.zip')).toBe(true)
    expect(hasStagedRestore(s.dir)).toBe(true)
    expect((await su.health.check()).data.canBackup).toBe(false)
    expect((await failure(su.backups.create('another.zip'))).status).toBe(400)

    expect(await su.backups.delete('cloud.zip')).toBe(true)
    expect(await bucket.stat('cloud.zip')).toBeNull()

    // Switching S3 off shows the local backups again.
    await su.settings.update({ backups: { s3: { enabled: false } } })
    expect((await su.backups.getFullList()).map((b) => b.key)).toEqual(['local_only.zip'])
  })
})
