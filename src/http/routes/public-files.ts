// Static files from ./basalt_public at `/` (PocketBase's pb_public): types, ETags, caching, SPA fallback, no traversal.
import fs from 'node:fs'
import path from 'node:path'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Config } from '../../config.ts'
import { mimeForName } from '../../files/serve.ts'

/** Where static files live: `--publicDir`, else `basalt_public` beside the data directory. */
export function publicDirOf(config: Config): string {
  return config.publicDir ?? path.join(path.dirname(config.dataDir), 'basalt_public')
}

/**
 * The file under `root` that `urlPath` names, or null when it would leave the root, names a dotfile
 * (`.env`, `.git/…`), or cannot be decoded. Decoding happens once, before the containment check.
 */
export function resolvePublicPath(root: string, urlPath: string): string | null {
  let decoded: string
  try { decoded = decodeURIComponent(urlPath) } catch { return null }
  if (decoded.includes('\0') || decoded.includes('\\')) return null
  if (decoded.split('/').some((seg) => seg.startsWith('.') && seg !== '')) return null
  const full = path.resolve(root, '.' + path.posix.normalize('/' + decoded))
  return full === root || full.startsWith(root + path.sep) ? full : null
}

async function fileAt(p: string): Promise<{ path: string; stat: fs.Stats } | null> {
  try {
    let stat = await fs.promises.stat(p)
    if (stat.isDirectory()) {
      p = path.join(p, 'index.html')
      stat = await fs.promises.stat(p)
    }
    return stat.isFile() ? { path: p, stat } : null
  } catch {
    return null
  }
}

/** Serves the request from the public directory; false when there is nothing to serve. */
export async function servePublicFile(config: Config, req: FastifyRequest, reply: FastifyReply): Promise<boolean> {
  const root = path.resolve(publicDirOf(config))
  const urlPath = req.url.split('?', 1)[0]
  const target = resolvePublicPath(root, urlPath)
  if (!target) return false
  let file = await fileAt(target)
  // SPA fallback: unknown paths without an extension (client-side routes) get the root index.html.
  if (!file && config.indexFallback && !urlPath.startsWith('/api/') && !path.posix.extname(urlPath)) file = await fileAt(path.join(root, 'index.html'))
  if (!file) return false
  const etag = `W/"${file.stat.size.toString(16)}-${Math.trunc(file.stat.mtimeMs).toString(16)}"`
  const type = mimeForName(file.path)
  reply.header('etag', etag)
  reply.header('last-modified', file.stat.mtime.toUTCString())
  // HTML revalidates every time (it names the other assets); other files may be cached for an hour.
  reply.header('cache-control', type.startsWith('text/html') ? 'no-cache' : 'public, max-age=3600')
  reply.type(type)
  if (req.headers['if-none-match'] === etag) {
    reply.status(304).send()
    return true
  }
  reply.header('content-length', String(file.stat.size))
  if (req.method === 'HEAD') reply.send()
  else reply.send(fs.createReadStream(file.path))
  return true
}
