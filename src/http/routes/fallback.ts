// What answers when no built-in route matches: custom routes (app.routerAdd), 501 for PocketBase endpoints not there yet, ./basalt_public, then 404.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Transform, type Readable } from 'node:stream'
import type { App } from '../../app.ts'
import { ApiError, tooLarge } from '../../core/errors.ts'
import { RouteEvent } from '../../framework/route-event.ts'
import { runChain, type RouteDef } from '../../framework/router.ts'
import { requestInfo } from '../context.ts'
import { servePublicFile } from './public-files.ts'
import { notImplemented } from './not-implemented.ts'

const pathOf = (req: FastifyRequest) => req.url.split('?', 1)[0]

/** Counts body bytes as they stream in; past `limit` the request fails with 413 before buffering the rest. */
function limitStream(payload: Readable, limit: number): Readable {
  let seen = 0
  return payload.pipe(new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length
      done(seen > limit ? tooLarge() : null, chunk)
    },
  }))
}

export function registerFallback(f: FastifyInstance, app: App): void {
  const routeOf = (req: FastifyRequest) => app.router.find(req.method, pathOf(req))
  // Runs for every request, but only unmatched ones (`is404`) can be custom routes with a bodyLimit().
  f.addHook('preParsing', async (req: FastifyRequest, _reply: FastifyReply, payload: Readable) => {
    if (!req.is404) return payload
    const limit = routeOf(req)?.def.middlewares.reduce((min, m) => (m.bodyLimit && m.bodyLimit < min ? m.bodyLimit : min), Infinity) ?? Infinity
    if (limit === Infinity) return payload
    const declared = Number(req.headers['content-length'])
    if (Number.isFinite(declared) && declared > limit) throw tooLarge()
    return limitStream(payload, limit)
  })
  f.setNotFoundHandler(async (req, reply) => {
    const found = routeOf(req)
    if (found) {
      req.metricsRoute = found.def.path // the pattern, not the URL (src/http/request-metrics.ts)
      return runRoute(app, found.def, found.params, req, reply)
    }
    // PocketBase endpoints Basalt lacks: a 501 naming the feature (any real or custom route won above).
    const missing = notImplemented(req.method, req.url)
    if (missing) return reply.status(501).send(missing.toJSON())
    if ((req.method === 'GET' || req.method === 'HEAD') && await servePublicFile(app.config, req, reply)) return reply
    return reply.status(404).send(new ApiError(404).toJSON())
  })
}

async function runRoute(app: App, def: RouteDef, params: Record<string, string | undefined>, req: FastifyRequest, reply: FastifyReply) {
  const info = requestInfo(req, 'default', req.body && typeof req.body === 'object' && !Array.isArray(req.body) ? req.body as Record<string, unknown> : {})
  const e = new RouteEvent(app, req, params, info)
  // A handler may also just return a value: it is sent as JSON with 200 (unless it answered already).
  let returned: unknown
  const handler = def.handler
  await runChain({ ...def, handler: async (ev) => { returned = await handler(ev) } }, e)
  if (!e.sent && returned !== undefined) e.json(200, returned)
  return e.send(reply)
}
