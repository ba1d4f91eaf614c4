// Minimal types for s3rver (a local S3-compatible server used by the S3 storage tests; it ships none).
declare module 's3rver' {
  interface S3rverOptions {
    address?: string
    port?: number
    silent?: boolean
    directory?: string
    resetOnClose?: boolean
    configureBuckets?: { name: string; configs: (string | Buffer)[] }[]
  }
  export default class S3rver {
    constructor(options?: S3rverOptions)
    run(): Promise<unknown>
    close(): Promise<void>
  }
}
