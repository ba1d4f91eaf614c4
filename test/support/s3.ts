// Test support: a real local S3-compatible server (s3rver) on an ephemeral port, with one bucket per call.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import S3rver from 's3rver'
import type { S3Config } from '../../src/files/s3-storage.ts'

export interface LocalS3 {
  config(bucket?: string): S3Config
  close(): Promise<void>
}

/** Starts s3rver in a temp dir with the given buckets; credentials are s3rver's fixed S3RVER/S3RVER. */
export async function startS3(buckets: string[] = ['basalt']): Promise<LocalS3> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'basalt-s3-'))
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dir, configureBuckets: buckets.map((name) => ({ name, configs: [] })) })
  const addr = await server.run() as { port: number }
  return {
    config: (bucket = buckets[0]) => ({
      enabled: true, bucket, region: 'us-east-1', endpoint: `http://127.0.0.1:${addr.port}`,
      accessKey: 'S3RVER', secret: 'S3RVER', forcePathStyle: true,
    }),
    async close() {
      await server.close()
      fs.rmSync(dir, { recursive: true, force: true })
    },
  }
}
