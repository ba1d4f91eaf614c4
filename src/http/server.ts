// Builds the Fastify server: parsers, auth context, headers, CORS, error handler and the route groups.
import http from 'node:http'
import { LoadShedder } from './load-shedding.ts'
import { registerDraining } from './draining.ts'
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import multipart from '@fastify/multipart'
import type { App } from '../app.ts'
import { HookResponse } from '../core/hooks/hook-response.ts'
import { registerBodyParsers } from './body.ts'
import { registerFormBodies } from './form-body.ts'
import { corsHeaders } from './cors.ts'
import { registerNulGuard } from './nul-guard.ts'
import { capConnectionsPerIp, registerCloseOnUnreadBody, registerRequestDeadlines, serverTimeoutOptions } from './limits.ts'
import { registerRequestLog } from './stdout-request-log.ts'
import { requestMetrics } from './request-metrics.ts'
import { metricsRoutes } from './routes/metrics.ts'
import { authContext } from './context.ts'
import { rateLimiting } from './rate-limit.ts'
import { impersonateRoutes } from './routes/impersonate.ts'
import { frameworkErrorHandler, registerErrorHandler } from './error-handler.ts'
import { recordRoutes } from './routes/records.ts'
import { authRoutes } from './routes/auth.ts'
import { collectionRoutes } from './routes/collections.ts'
import { sqlRoutes } from './routes/sql.ts'
import { realtimeRoutes } from './routes/realtime.ts'
import { fileRoutes } from './routes/files.ts'
import { healthRoutes } from './routes/health.ts'
import { settingsRoutes } from './routes/settings.ts'
import { authEmailRoutes } from './routes/auth-email.ts'
import { authSessionRoutes } from './routes/auth-sessions.ts'
import { oauth2Routes } from './routes/auth-oauth2.ts'
import { registerFallback } from './routes/fallback.ts'
import { batchRoutes } from './routes/batch.ts'
import { requestLogging } from './request-log.ts'
import { logRoutes } from './routes/logs.ts'
import { fileTokenRoutes } from './routes/file-token.ts'
import { backupRoutes } from './routes/backups.ts'
import { jobRoutes } from './routes/jobs.ts'
import { cronRoutes } from './routes/crons.ts'
import { workflowRoutes } from './routes/workflows.ts'
import { webhookRoutes } from './routes/webhooks.ts'
import { uiRoutes } from './routes/ui-dashboard.ts'
import { installerAuth } from './routes/ui-installer.ts'

const SECURITY_HEADERS = {
  'x-xss-protection': '1; mode=block',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'SAMEORIGIN',
}

/**
 * Repeated query keys keep the FIRST value (PocketBase reads `url.Values.Get`), so the validator and
 * the executor of `filter`/`sort`/`expand`/`fields` always see the same single string — never an array.
 */
export function parseQueryString(text: string): Record<string, string> {
  const out: Record<string, string> = Object.create(null)
  for (const [k, v] of new URLSearchParams(text)) if (!(k in out)) out[k] = v
  return out
}

export async function buildServer(app: App): Promise<FastifyInstance> {
  const cfg = app.config
  const timeouts = serverTimeoutOptions(cfg.http)
  // Load shedding gates the raw Node handler: a refused request costs no Fastify request, auth or SQL.
  const shedder = new LoadShedder({ maxInFlight: cfg.maxInFlight, maxEventLoopDelayMs: cfg.maxEventLoopDelayMs }, cfg.corsOrigins)
  app.metrics.setShedSource(() => shedder.shed)
  const f = Fastify({
    serverFactory: (handler) => {
      const server = http.createServer(timeouts.http, (req, res) => { if (shedder.admit(req, res)) handler(req, res) })
      server.keepAliveTimeout = timeouts.keepAliveTimeout
      server.requestTimeout = timeouts.requestTimeout
      shedder.watch(server)
      return server
    },
    // The app's one logger; Fastify's own two lines per request are replaced by request-log.ts's one.
    loggerInstance: app.logger as FastifyBaseLogger,
    bodyLimit: cfg.multipartBodyLimit,
    routerOptions: { maxParamLength: 5000, querystringParser: parseQueryString },
    return503OnClosing: true,
    logController: new LogController({ disableRequestLogging: true }),
    forceCloseConnections: 'idle',
    frameworkErrors: frameworkErrorHandler,
    // The SDK sends raw tokens; nothing here needs Fastify's own body-schema coercion.
    ajv: { customOptions: { coerceTypes: false } },
  })
  registerErrorHandler(f, (reason) => app.writeHealth.noteFailure(reason))
  // A write that worked proves the store takes writes again (clears a disk-full state in /api/health).
  f.addHook('onResponse', async (req, reply) => {
    if (req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'OPTIONS' && reply.statusCode < 400) app.writeHealth.noteSuccess()
  })
  // First hook: in-flight counts every request, including those refused by later hooks.
  await f.register(requestMetrics, { metrics: app.metrics })
  f.addHook('onClose', async () => shedder.close())
  capConnectionsPerIp(f.server, cfg.http.maxConnectionsPerIp, cfg.trustedProxies)
  registerRequestDeadlines(f, cfg.http)
  registerCloseOnUnreadBody(f)
  registerDraining(f)
  if (cfg.logRequests) registerRequestLog(f)
  registerBodyParsers(f, cfg.jsonBodyLimit)
  await f.register(multipart, {
    limits: { fileSize: cfg.multipartBodyLimit, files: 100, fields: 1000, parts: 1100, fieldSize: cfg.jsonBodyLimit },
    throwFileSizeLimit: true,
  })
  // Order matters: multipart fields become `req.body` first, then every parsed input is checked for NUL.
  registerFormBodies(f, cfg.jsonBodyLimit)
  registerNulGuard(f)
  f.addHook('onRequest', async (req, reply) => {
    reply.headers(SECURITY_HEADERS)
    const cors = corsHeaders(app.config.corsOrigins, req.headers.origin)
    reply.headers(cors)
    if (req.method === 'OPTIONS') {
      // A preflight from an origin that is not allowed gets no allow headers: the browser stops there.
      if (!cors['access-control-allow-origin']) return reply.status(204).send()
      reply.headers({
        'access-control-allow-methods': 'GET,HEAD,PUT,PATCH,POST,DELETE',
        'access-control-allow-headers': req.headers['access-control-request-headers'] ?? 'Authorization,Content-Type',
        'access-control-max-age': '86400',
      })
      return reply.status(204).send()
    }
  })
  // A request hook that answered with `e.json(status, body)` (docs/hooks.md).
  f.addHook('preSerialization', async (_req, reply, payload) => {
    if (!(payload instanceof HookResponse)) return payload
    reply.status(payload.status)
    return payload.body
  })
  await f.register(authContext, { app })
  // The first-run installer token (printed by `basalt serve`) counts as superuser auth for one create.
  await f.register(installerAuth, { app })
  // After authContext: superusers bypass the general limits and audiences need `req.auth`.
  await f.register(rateLimiting, { app })
  await f.register(requestLogging, { app })
  // Custom routes and ./basalt_public answer whatever no built-in route matched.
  registerFallback(f, app)
  for (const routes of [healthRoutes, collectionRoutes, recordRoutes, authRoutes, realtimeRoutes, fileRoutes, settingsRoutes, authEmailRoutes, authSessionRoutes, impersonateRoutes, oauth2Routes, batchRoutes, logRoutes, metricsRoutes, fileTokenRoutes, backupRoutes, jobRoutes, cronRoutes, workflowRoutes, webhookRoutes, sqlRoutes, uiRoutes]) {
    await f.register(routes, { app })
  }
  return f
}
