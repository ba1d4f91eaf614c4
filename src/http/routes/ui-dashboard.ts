// GET /_/ and /_/assets/*: the built admin dashboard (ui/dist), or the auth-link page when it was not built.
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyPluginAsync } from 'fastify'
import type { App } from '../../app.ts'
import { ApiError } from '../../core/errors.ts'
import { uiLinkRoutes } from './ui-links.ts'

/** ui/dist from src/http/routes (tsx) and dist/http/routes (built) alike: both sit three levels below the root. */
export const UI_DIST = fileURLToPath(new URL('../../../ui/dist/', import.meta.url))

/**
 * Everything the dashboard needs comes from this origin as files; nothing inline, nothing evaluated. Images may be
 * `blob:` (upload previews) or `data:`; `connect-src 'self'` covers the API and the realtime EventSource.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "form-action 'none'", // forms submit through fetch() only
  "base-uri 'none'",
  "object-src 'none'",
  "frame-ancestors 'none'",
].join('; ')

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml',
  '.png': 'image/png', '.woff2': 'font/woff2', '.json': 'application/json', '.map': 'application/json',
}

interface Asset { body: Buffer; type: string }

/** The build is small (tens of KB), so it is read once at start-up and served from memory. */
export function loadDashboard(dir = UI_DIST): { index: Buffer; assets: Map<string, Asset> } | null {
  const indexFile = path.join(dir, 'index.html')
  if (!fs.existsSync(indexFile)) return null
  const assets = new Map<string, Asset>()
  const assetDir = path.join(dir, 'assets')
  for (const name of fs.existsSync(assetDir) ? fs.readdirSync(assetDir) : []) {
    const file = path.join(assetDir, name)
    if (fs.statSync(file).isFile()) assets.set(name, { body: fs.readFileSync(file), type: TYPES[path.extname(name)] ?? 'application/octet-stream' })
  }
  return { index: fs.readFileSync(indexFile), assets }
}

const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': DASHBOARD_CSP,
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'x-frame-options': 'DENY',
}

export const uiRoutes: FastifyPluginAsync<{ app: App; dist?: string }> = async (f, { app, dist }) => {
  const ui = loadDashboard(dist)
  if (!ui) {
    // A checkout without `npm run build:ui`: mail links at /_/#/auth/… must keep working all the same.
    app.logger.warn(`dashboard not built (${UI_DIST} missing; run "npm run build:ui"): /_/ serves only the auth-link page`)
    await f.register(uiLinkRoutes)
    return
  }
  f.get('/_/', async (_req, reply) => reply.headers(PAGE_HEADERS).send(ui.index))
  // Browsers keep the #fragment across redirects, so `/_#/auth/…` links still work.
  f.get('/_', async (_req, reply) => reply.redirect('/_/', 301))
  f.get('/_/assets/:name', async (req, reply) => {
    const asset = ui.assets.get((req.params as { name: string }).name)
    if (!asset) return reply.status(404).send(new ApiError(404).toJSON())
    // Names carry a content hash: a new build is a new URL, so a year of caching is safe.
    return reply.headers({ 'content-type': asset.type, 'cache-control': 'public, max-age=31536000, immutable' }).send(asset.body)
  })
}
