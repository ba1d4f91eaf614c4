// Sends a stored file over HTTP: validators (ETag, Last-Modified → 304), single byte ranges (206/416) and safe headers.
import type { FastifyReply, FastifyRequest } from 'fastify'
import { notFound } from '../core/errors.ts'
import { etagFor, notModified, parseRange } from '../files/conditional.ts'
import { fileResponseHeaders } from '../files/serve.ts'
import type { FileStorage } from '../files/storage.ts'

export interface SendFileOptions {
  /** Name the client sees (type, Content-Disposition). */
  name: string
  download: boolean
  cacheControl: string
}

export async function sendStoredFile(storage: FileStorage, key: string, req: FastifyRequest, reply: FastifyReply, opts: SendFileOptions) {
  const st = await storage.stat(key)
  if (!st) throw notFound()
  const etag = etagFor(st)
  const headers: Record<string, string> = {
    ...fileResponseHeaders(opts.name, { download: opts.download }),
    'Cache-Control': opts.cacheControl,
    ETag: etag,
    'Last-Modified': st.modified.toUTCString(),
  }
  reply.headers(headers)
  if (notModified(req.headers, st, etag)) {
    reply.removeHeader('Content-Disposition')
    return reply.status(304).send()
  }
  const range = parseRange(req.headers, st, etag)
  if (range.kind === 'unsatisfiable') {
    reply.header('Content-Range', `bytes */${st.size}`).header('Content-Type', 'application/json')
    return reply.status(416).send({ status: 416, message: 'The requested range is not satisfiable.', data: {} })
  }
  const partial = range.kind === 'partial' ? range.range : undefined
  const file = await storage.get(key, partial ? { range: partial } : {})
  if (!file) throw notFound()
  if (partial) {
    reply.status(206).header('Content-Range', `bytes ${partial.start}-${partial.end}/${file.size}`)
    reply.header('Content-Length', String(partial.end - partial.start + 1))
  } else {
    reply.header('Content-Length', String(file.size))
  }
  // HEAD: Fastify's automatic HEAD route destroys the stream and keeps the headers.
  return reply.send(file.stream)
}
