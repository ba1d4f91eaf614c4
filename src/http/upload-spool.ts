// Multipart uploads go to temp files under the data directory instead of memory: eight 31 MB uploads
// must not cost 250 MB of heap. Each part stops being written once past its field's maxSize.
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import { mkdir, readdir, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import { Transform, type Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { SNIFF_BYTES, type SpooledContent, type UploadedFile } from '../core/records/uploaded-file.ts'

/** Where uploads wait while their request is handled (one directory per data directory). */
export const spoolDirOf = (dataDir: string) => path.join(dataDir, '.tmp_uploads')

/** Leftovers older than this (a crash mid-request) are removed at start. */
const STALE_MS = 60 * 60_000

/**
 * Streams one file part to a new temp file. Past `maxSize` bytes nothing more is written (the rest is
 * read and counted, so the field's size error can name it) and the temp file is emptied.
 */
export async function spoolPart(stream: Readable, dir: string, maxSize: number): Promise<SpooledContent> {
  await mkdir(dir, { recursive: true })
  const file = path.join(dir, randomBytes(12).toString('hex'))
  const head: Buffer[] = []
  let headBytes = 0
  let size = 0
  const out = fs.createWriteStream(file, { flags: 'wx', mode: 0o600 })
  const spooled: SpooledContent = { path: file, size: 0, head: Buffer.alloc(0), truncated: false }
  const limit = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length
      if (headBytes < SNIFF_BYTES) {
        const take = chunk.subarray(0, SNIFF_BYTES - headBytes)
        head.push(Buffer.from(take))
        headBytes += take.length
      }
      if (size > maxSize) {
        spooled.truncated = true
        return done()
      }
      done(null, chunk)
    },
  })
  try {
    await pipeline(stream, limit, out)
  } catch (err) {
    await removeQuietly(file)
    throw err
  }
  spooled.size = size
  spooled.head = Buffer.concat(head)
  // What was written before the limit is useless now: free the disk at once.
  if (spooled.truncated) await fs.promises.truncate(file, 0).catch(() => {})
  return spooled
}

async function removeQuietly(file: string): Promise<void> {
  await rm(file, { force: true }).catch(() => {})
}

/** Removes the temp files of spooled uploads (every request path ends here, success or not). */
export async function removeSpooled(files: Iterable<UploadedFile[]>): Promise<void> {
  const paths: string[] = []
  for (const list of files) for (const f of list) if (f.spooled) paths.push(f.spooled.path)
  await Promise.all(paths.map(removeQuietly))
}

/** Start-up sweep of temp files a crashed process left behind (other nodes' recent ones are kept). */
export async function sweepStaleSpool(dir: string, now = Date.now()): Promise<void> {
  let names: string[]
  try { names = await readdir(dir) } catch { return }
  await Promise.all(names.map(async (name) => {
    const file = path.join(dir, name)
    const info = await stat(file).catch(() => null)
    if (info?.isFile() && now - info.mtimeMs > STALE_MS) await removeQuietly(file)
  }))
}
