// FileStorage on the local filesystem: validated keys confined to a root dir, atomic temp-file + rename writes.
import { createWriteStream } from 'node:fs'
import { mkdir, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import path from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { InvalidStorageKeyError, assertValidKey, type ByteRange, type FileStat, type FileStorage, type StoredFile } from './storage.ts'

/** errno codes that mean "this key does not exist" for reads/deletes. */
const MISSING = new Set(['ENOENT', 'ENOTDIR'])
const isMissing = (e: unknown) => MISSING.has((e as NodeJS.ErrnoException)?.code ?? '')

export class LocalFileStorage implements FileStorage {
  readonly root: string

  constructor(rootDir: string) {
    this.root = path.resolve(rootDir)
  }

  /**
   * Absolute path for a key. Validation already forbids `..`, absolute paths, backslashes and NUL;
   * resolving and re-checking containment guards against anything the validator might miss.
   * (Symlinks inside root are not expected: nothing in the API can create them.)
   */
  private pathFor(key: string, opts?: { allowTrailingSlash?: boolean }): string {
    const segments = assertValidKey(key, opts)
    const full = path.resolve(this.root, ...segments)
    if (!full.startsWith(this.root + path.sep)) throw new InvalidStorageKeyError(key, 'escapes storage root')
    return full
  }

  async put(key: string, data: Buffer | NodeJS.ReadableStream): Promise<void> {
    const target = this.pathFor(key)
    const dir = path.dirname(target)
    await mkdir(dir, { recursive: true })
    // Same directory → same filesystem → rename is atomic. The leading dot cannot collide with a valid
    // key segment (they must start with [A-Za-z0-9_]).
    const tmp = path.join(dir, `.tmp-${randomBytes(8).toString('hex')}-${path.basename(target)}`)
    try {
      if (Buffer.isBuffer(data)) {
        const fh = await open(tmp, 'wx', 0o644)
        try {
          await fh.writeFile(data)
          await fh.sync()
        } finally {
          await fh.close()
        }
      } else {
        const src = data instanceof Readable ? data : Readable.from(data as AsyncIterable<Buffer>)
        await pipeline(src, createWriteStream(tmp, { flags: 'wx', mode: 0o644 }))
        // fsync before rename, otherwise a crash can leave a renamed but empty file.
        const fh = await open(tmp, 'r+')
        try {
          await fh.sync()
        } finally {
          await fh.close()
        }
      }
      await rename(tmp, target)
    } catch (e) {
      await unlink(tmp).catch(() => {})
      throw e
    }
  }

  async get(key: string, opts: { range?: ByteRange } = {}): Promise<StoredFile | null> {
    const p = this.pathFor(key)
    let fh
    try {
      fh = await open(p, 'r')
    } catch (e) {
      if (isMissing(e) || (e as NodeJS.ErrnoException).code === 'EISDIR') return null
      throw e
    }
    try {
      // stat the open handle, not the path, so size and stream describe the same file even if a put
      // renames a new version over it meanwhile.
      const st = await fh.stat()
      if (!st.isFile()) {
        await fh.close()
        return null
      }
      const range = opts.range ? { start: opts.range.start, end: opts.range.end } : {}
      return { stream: fh.createReadStream({ autoClose: true, ...range }), size: st.size, modified: st.mtime }
    } catch (e) {
      await fh.close().catch(() => {})
      throw e
    }
  }

  async stat(key: string): Promise<FileStat | null> {
    try {
      const st = await stat(this.pathFor(key))
      return st.isFile() ? { size: st.size, modified: st.mtime } : null
    } catch (e) {
      if (isMissing(e)) return null
      throw e
    }
  }

  async list(prefix: string): Promise<(FileStat & { key: string })[]> {
    const slash = prefix.lastIndexOf('/')
    const dirKey = slash === -1 ? '' : prefix.slice(0, slash)
    if (prefix.slice(slash + 1)) this.pathFor(prefix)
    const dir = dirKey ? this.pathFor(dirKey) : this.root
    let entries: string[]
    try {
      entries = (await readdir(dir, { recursive: true })).map(String)
    } catch (e) {
      if (isMissing(e)) return []
      throw e
    }
    const out: (FileStat & { key: string })[] = []
    for (const rel of entries) {
      const key = (dirKey ? dirKey + '/' : '') + rel.split(path.sep).join('/')
      // Temp files of writes in progress are not keys (their segment starts with a dot).
      if (!key.startsWith(prefix) || key.split('/').some((seg) => seg.startsWith('.'))) continue
      const st = await stat(path.join(dir, rel)).catch(() => null)
      if (st?.isFile()) out.push({ key, size: st.size, modified: st.mtime })
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
  }

  async delete(key: string): Promise<void> {
    try {
      await unlink(this.pathFor(key))
    } catch (e) {
      if (!isMissing(e)) throw e
    }
  }

  /**
   * Removes every key starting with `prefix`. `a/b/` removes the directory `a/b`; `a/b/thumbs_`
   * removes the entries of `a/b` whose names start with `thumbs_` (files or whole thumb directories).
   */
  async deletePrefix(prefix: string): Promise<void> {
    if (prefix.endsWith('/')) {
      await rm(this.pathFor(prefix, { allowTrailingSlash: true }), { recursive: true, force: true })
      return
    }
    const slash = prefix.lastIndexOf('/')
    const namePrefix = prefix.slice(slash + 1)
    // Validate the whole prefix as if it were a key, so `a/..` or `a/.tmp` style prefixes are refused.
    this.pathFor(prefix)
    const dir = slash === -1 ? this.root : this.pathFor(prefix.slice(0, slash))
    let entries: string[]
    try {
      entries = await readdir(dir)
    } catch (e) {
      if (isMissing(e)) return
      throw e
    }
    await Promise.all(
      entries.filter((n) => n.startsWith(namePrefix)).map((n) => rm(path.join(dir, n), { recursive: true, force: true })),
    )
  }
}
