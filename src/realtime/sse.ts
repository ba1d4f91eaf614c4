// Server-Sent Events transport: turns a raw Node response into a hub client (`GET /api/realtime`).
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { RealtimeHub } from './hub.ts'
import type { RealtimeClient } from './types.ts'

/** Above this many bytes queued in Node's socket buffer a client counts as a slow consumer. */
export const SSE_MAX_BUFFERED_BYTES = 1024 * 1024

export interface SseOptions {
  /**
   * Write an SSE comment (`:\n\n`, ignored by EventSource) this often so proxies with read timeouts
   * (nginx: 60 s) keep quiet streams open. It does not count as a message for the hub's idle timeout.
   * 0 disables. Default 30 s.
   */
  heartbeatMs?: number
  maxBufferedBytes?: number
}

/** One SSE message exactly as PocketBase writes it; the SDK reads the clientId from `id:`. */
export function formatSseMessage(clientId: string, name: string, data: string): string {
  if (/[\r\n]/.test(name)) throw new TypeError('SSE event name must not contain line breaks')
  // Multi-line data must become several `data:` lines or it would forge fields; JSON never has raw newlines.
  const body = /[\r\n]/.test(data) ? data.split(/\r\n|\r|\n/).join('\ndata:') : data
  return `id:${clientId}\nevent:${name}\ndata:${body}\n\n`
}

/**
 * Takes over `res` (call after Fastify's `reply.hijack()`), registers a hub client and sends
 * `PB_CONNECT`. The client is unregistered when either side closes the connection.
 */
export function openSseStream(
  req: IncomingMessage,
  res: ServerResponse,
  hub: RealtimeHub,
  ip: string,
  opts: SseOptions = {},
): RealtimeClient | null {
  if (req.destroyed || res.destroyed || res.writableEnded) return null
  const maxBuffered = opts.maxBufferedBytes ?? SSE_MAX_BUFFERED_BYTES
  const heartbeatMs = opts.heartbeatMs ?? 30_000

  // A stream is quiet for minutes by design: no socket timeout; events are tiny, so no Nagle delay.
  req.socket.setTimeout(0)
  req.socket.setNoDelay(true)
  req.socket.setKeepAlive(true)
  const headers: Record<string, string> = {
    'Content-Type': 'text/event-stream',
    'Cache-Control': 'no-store',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  }
  if (req.httpVersionMajor >= 2) delete headers.Connection // connection-specific headers are illegal in HTTP/2
  res.writeHead(200, headers)
  res.flushHeaders()

  let clientId = ''
  let closed = false
  let heartbeat: ReturnType<typeof setInterval> | undefined

  const write = (chunk: string): boolean => {
    if (closed || res.destroyed || res.writableEnded) return false
    // write() returning false alone is normal backpressure; only a large backlog marks a slow consumer.
    return res.write(chunk) || res.writableLength <= maxBuffered
  }

  const close = (): void => {
    if (closed) return
    closed = true
    if (heartbeat) clearInterval(heartbeat)
    // A backlog means the peer stopped reading: end() would wait on it forever, so drop it.
    if (res.writableLength > 0) res.destroy()
    else res.end()
  }

  const client = hub.connect(
    {
      attach: (id) => {
        clientId = id
      },
      send: (name, data) => write(formatSseMessage(clientId, name, data)),
      close,
    },
    ip,
  )

  const cleanup = (): void => {
    if (heartbeat) clearInterval(heartbeat)
    closed = true
    hub.disconnect(client.id)
  }
  res.once('close', cleanup)
  res.on('error', cleanup) // an 'error' without a listener would crash the process
  if (res.destroyed) cleanup() // the peer vanished while PB_CONNECT was written

  if (heartbeatMs > 0 && !closed) {
    heartbeat = setInterval(() => {
      if (!write(':\n\n')) hub.disconnect(client.id)
    }, heartbeatMs)
    heartbeat.unref()
  }
  return client
}
