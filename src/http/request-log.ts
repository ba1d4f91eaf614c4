// Root-wide: one request log per response into the log store (src/logs), after the response is sent.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { App } from '../app.ts'
import { ApiError } from '../core/errors.ts'
import { LOG_LEVELS } from '../logs/log-service.ts'
import type { Settings } from '../settings/settings.ts'

declare module 'fastify' {
  interface FastifyRequest {
    /** The error a handler threw, kept for the request log. */
    logError: unknown
  }
}

const cut = (s: string, max: number) => (s.length > max ? `${s.slice(0, max)}...` : s)
/** File tokens travel in `?token=` (file and backup downloads): keep them out of the log store. */
const redact = (url: string) => url.replace(/([?&]token=)[^&#]*/gi, '$1***')
const header = (req: FastifyRequest, name: string) => {
  const v = req.headers[name]
  return typeof v === 'string' ? v : Array.isArray(v) ? v[0] ?? '' : ''
}

function errorData(err: unknown): Record<string, unknown> {
  if (err instanceof ApiError) return { error: err.message, details: err.data }
  if (err instanceof Error) return { error: err.message }
  return err === undefined || err === null ? {} : { error: String(err) }
}

/** PocketBase's request-log `data` (type, url, method, status, execTime, auth, IPs, referer, userAgent, error). */
function logResponse(app: App, settings: Settings['logs'], req: FastifyRequest, reply: FastifyReply): void {
  if (settings.maxDays <= 0) return // logging off: build nothing
  const method = cut(req.method.toUpperCase(), 50)
  const url = cut(redact(req.url), 3000)
  const failed = req.logError !== null || reply.statusCode >= 400
  const data: Record<string, unknown> = {
    type: 'request',
    execTime: reply.elapsedTime,
    ...(failed ? errorData(req.logError ?? undefined) : {}),
    url, method, status: reply.statusCode,
    referer: cut(header(req, 'referer'), 2000),
    userAgent: cut(header(req, 'user-agent'), 2000),
    auth: req.auth?.collection.name ?? '',
  }
  if (req.auth && settings.logAuthId) data.authId = req.auth.record.id
  if (settings.logIP) {
    data.userIP = req.clientIp ?? req.ip
    data.remoteIP = req.socket?.remoteAddress ?? req.ip
  }
  let path = url
  if (url.includes('%')) try { path = decodeURI(url) } catch { /* keep it encoded */ }
  app.logs.addWith(settings, failed ? LOG_LEVELS.error : LOG_LEVELS.info, `${method} ${path}`, data)
}

export const requestLogging = fp(async (f: FastifyInstance, { app }: { app: App }) => {
  f.decorateRequest('logError', null)
  f.addHook('onError', async (req, _reply, err) => { req.logError = err })
  // onResponse runs after the last byte is handed to the socket: the client never waits for this.
  f.addHook('onResponse', (req, reply, done) => {
    done()
    const cached = app.settings.peek()
    // Logging must never break a response that was already sent.
    if (cached) try { logResponse(app, cached.logs, req, reply) } catch { /* dropped */ }
    else app.settings.get().then((s) => logResponse(app, s.logs, req, reply)).catch(() => {})
  })
})
