// S3FileStorage against a real local S3-compatible server (s3rver), through the shared storage contract.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Readable } from 'node:stream'
import { fileStorageContract } from '../../test/contracts/file-storage.contract.ts'
import { startS3, type LocalS3 } from '../../test/support/s3.ts'
import { S3FileStorage } from './s3-storage.ts'

let s3: LocalS3
const opened: S3FileStorage[] = []
let n = 0
beforeAll(async () => { s3 = await startS3(Array.from({ length: 40 }, (_, i) => `bucket${i}`)) })
afterAll(async () => {
  for (const st of opened) st.close()
  await s3?.close()
})

// A fresh bucket per test keeps tests independent (s3rver has no cheap "empty bucket").
const fresh = async (prefix = '') => {
  const st = new S3FileStorage(s3.config(`bucket${n++}`), prefix)
  opened.push(st)
  return st
}

fileStorageContract('s3 (s3rver)', () => fresh())
fileStorageContract('s3 with a key prefix', () => fresh('backups/'))

describe('S3FileStorage specifics', () => {
  it('uploads a stream larger than one part as a multipart upload', async () => {
    const st = await fresh()
    const chunk = Buffer.alloc(1 << 20, 7)
    await st.put('c/r/big.bin', Readable.from(Array.from({ length: 9 }, () => chunk)))
    expect(await st.stat('c/r/big.bin')).toMatchObject({ size: 9 << 20 })
  })

  it('check() passes on a reachable bucket and fails on a missing one', async () => {
    await (await fresh()).check()
    const missing = new S3FileStorage(s3.config('no-such-bucket'))
    opened.push(missing)
    await expect(missing.check()).rejects.toThrow()
  })
})
