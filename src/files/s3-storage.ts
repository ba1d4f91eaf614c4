// FileStorage on an S3-compatible object store (AWS, MinIO, R2, …) through @aws-sdk/client-s3.
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateMultipartUploadCommand, DeleteObjectCommand,
  DeleteObjectsCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3'
import { Readable } from 'node:stream'
import { assertValidKey, type ByteRange, type FileStat, type FileStorage, type StoredFile } from './storage.ts'
import { mimeForName } from './serve.ts'

/** PocketBase's `settings.s3` / `settings.backups.s3` shape. */
export interface S3Config {
  enabled: boolean
  bucket: string
  region: string
  endpoint: string
  accessKey: string
  secret: string
  forcePathStyle: boolean
}

/** Streams are buffered up to one part; bigger ones go up as a multipart upload (S3's minimum part is 5 MiB). */
const PART_SIZE = 8 << 20

const isNotFound = (e: unknown) => {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } }
  return err?.name === 'NoSuchKey' || err?.name === 'NotFound' || err?.$metadata?.httpStatusCode === 404
}

export class S3FileStorage implements FileStorage {
  readonly client: S3Client
  readonly bucket: string

  /** `prefix` (optional, e.g. `backups/`) is prepended to every key inside the bucket. */
  constructor(cfg: S3Config, private readonly prefix = '') {
    this.bucket = cfg.bucket
    this.client = new S3Client({
      region: cfg.region || 'us-east-1',
      endpoint: cfg.endpoint ? (/^https?:\/\//.test(cfg.endpoint) ? cfg.endpoint : `https://${cfg.endpoint}`) : undefined,
      forcePathStyle: cfg.forcePathStyle,
      credentials: { accessKeyId: cfg.accessKey, secretAccessKey: cfg.secret },
      // Many S3-compatible servers reject the SDK's default trailing CRC checksums on every request.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 3,
    })
  }

  private objectKey(key: string, opts?: { allowTrailingSlash?: boolean }): string {
    assertValidKey(key, opts)
    return this.prefix + key
  }

  async put(key: string, data: Buffer | NodeJS.ReadableStream): Promise<void> {
    const Key = this.objectKey(key)
    const ContentType = mimeForName(key)
    if (Buffer.isBuffer(data)) {
      await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key, Body: data, ContentType, ContentLength: data.length }))
      return
    }
    const src = data instanceof Readable ? data : Readable.from(data as AsyncIterable<Buffer>)
    let uploadId: string | undefined
    const parts: { ETag?: string; PartNumber: number }[] = []
    let pending: Buffer[] = []
    let pendingSize = 0
    const flushPart = async () => {
      if (!uploadId) {
        uploadId = (await this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key, ContentType }))).UploadId
      }
      const PartNumber = parts.length + 1
      const body = Buffer.concat(pending)
      pending = []
      pendingSize = 0
      const res = await this.client.send(new UploadPartCommand({ Bucket: this.bucket, Key, UploadId: uploadId, PartNumber, Body: body, ContentLength: body.length }))
      parts.push({ ETag: res.ETag, PartNumber })
    }
    try {
      for await (const chunk of src as AsyncIterable<Buffer>) {
        pending.push(Buffer.from(chunk))
        pendingSize += chunk.length
        if (pendingSize >= PART_SIZE) await flushPart()
      }
      if (!uploadId) {
        // Small enough for one request: one atomic PUT.
        const body = Buffer.concat(pending)
        await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key, Body: body, ContentType, ContentLength: body.length }))
        return
      }
      if (pendingSize > 0) await flushPart()
      await this.client.send(new CompleteMultipartUploadCommand({ Bucket: this.bucket, Key, UploadId: uploadId, MultipartUpload: { Parts: parts } }))
    } catch (e) {
      // An unfinished multipart upload is invisible to readers but billed: abort it.
      if (uploadId) await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key, UploadId: uploadId })).catch(() => {})
      throw e
    }
  }

  async get(key: string, opts: { range?: ByteRange } = {}): Promise<StoredFile | null> {
    const Key = this.objectKey(key)
    const Range = opts.range ? `bytes=${opts.range.start}-${opts.range.end}` : undefined
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key, Range }))
      // With a range, the whole size is the part after the slash of `Content-Range: bytes a-b/size`.
      const total = Range && res.ContentRange ? Number(res.ContentRange.split('/')[1]) : Number(res.ContentLength ?? 0)
      return { stream: res.Body as Readable, size: total, modified: res.LastModified ?? new Date(0) }
    } catch (e) {
      if (isNotFound(e)) return null
      throw e
    }
  }

  async stat(key: string): Promise<FileStat | null> {
    try {
      const res = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }))
      return { size: Number(res.ContentLength ?? 0), modified: res.LastModified ?? new Date(0) }
    } catch (e) {
      if (isNotFound(e)) return null
      throw e
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }))
    } catch (e) {
      if (!isNotFound(e)) throw e
    }
  }

  async deletePrefix(prefix: string): Promise<void> {
    this.checkPrefix(prefix)
    for (;;) {
      const keys = await this.listKeys(prefix, 1000)
      if (!keys.length) return
      await this.client.send(new DeleteObjectsCommand({
        Bucket: this.bucket, Delete: { Objects: keys.map((k) => ({ Key: k.Key })), Quiet: true },
      }))
      if (keys.length < 1000) return
    }
  }

  async list(prefix: string): Promise<(FileStat & { key: string })[]> {
    if (prefix) this.checkPrefix(prefix)
    const out = (await this.listKeys(prefix, Infinity)).map((o) => ({
      key: o.Key!.slice(this.prefix.length), size: Number(o.Size ?? 0), modified: o.LastModified ?? new Date(0),
    }))
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
  }

  /** Same prefix rules as local storage: a valid key, or a valid directory ending in `/`. */
  private checkPrefix(prefix: string) {
    assertValidKey(prefix, { allowTrailingSlash: true })
  }

  private async listKeys(prefix: string, max: number) {
    const found: { Key?: string; Size?: number; LastModified?: Date }[] = []
    let ContinuationToken: string | undefined
    do {
      const res = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix + prefix, ContinuationToken }))
      found.push(...(res.Contents ?? []))
      ContinuationToken = res.IsTruncated ? res.NextContinuationToken : undefined
    } while (ContinuationToken && found.length < max)
    return found.slice(0, max === Infinity ? undefined : max)
  }

  /** Reachability and permissions check (settings "test S3"): lists one key of the bucket. */
  async check(): Promise<void> {
    await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix, MaxKeys: 1 }))
  }

  close() { this.client.destroy() }
}
