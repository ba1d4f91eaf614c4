// One log line per request (opt-in, BASALT_LOG_REQUESTS): method, path, status, duration, client IP.
import type { FastifyInstance } from 'fastify'

export function registerRequestLog(f: FastifyInstance): void {
  f.addHook('onResponse', async (req, reply) => {
    const ms = Math.round(reply.elapsedTime * 10) / 10
    const status = reply.statusCode
    // The query string may carry tokens (`?token=` on files): only the path is logged.
    const path = req.url.split('?')[0]
    const line = { reqId: req.id, method: req.method, path, status, ms, ip: req.clientIp }
    const msg = `${req.method} ${path} ${status} ${ms}ms`
    if (status >= 500) req.log.error(line, msg)
    else req.log.info(line, msg)
  })
}
