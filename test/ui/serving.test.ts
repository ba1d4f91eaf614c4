// How Basalt serves the dashboard: strict CSP on a no-store index, hashed immutable assets, and the auth-link page
// when ui/dist is missing.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import zlib from 'node:zlib'
import Fastify from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type TestServer } from '../support/server.ts'
import { uiRoutes } from '../../src/http/routes/ui-dashboard.ts'
import type { App } from '../../src/app.ts'
import { ensureUiBuilt } from './build.ts'

let s: TestServer
beforeAll(async () => {
  await ensureUiBuilt()
  s = await startServer()
}, 150_000)
afterAll(async () => { await s?.close() })

describe('GET /_/ with the dashboard built', () => {
  it('serves index.html under a CSP without inline script or style, never cached', async () => {
    const res = await fetch(`${s.url}/_/`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/html/)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(res.headers.get('x-frame-options')).toBe('DENY')
    const csp = res.headers.get('content-security-policy')!
    expect(csp).toMatch(/default-src 'none'/)
    expect(csp).toMatch(/script-src 'self'(;|$)/)
    expect(csp).toMatch(/style-src 'self'(;|$)/)
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:/)
    const html = await res.text()
    // Every <script> has a src, no style attribute or element: the CSP would block them anyway.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/)
    expect(html).not.toMatch(/<style|style=/)
    expect(html).toMatch(/src="\.\/assets\/index-[\w-]+\.js"/)
  })

  it('serves hashed assets for a year, immutable, with their type; unknown names are 404', async () => {
    const html = await (await fetch(`${s.url}/_/`)).text()
    const js = /src="\.\/(assets\/[^"]+\.js)"/.exec(html)![1]
    const css = /href="\.\/(assets\/[^"]+\.css)"/.exec(html)![1]
    for (const [file, type] of [[js, /^text\/javascript/], [css, /^text\/css/]] as const) {
      const res = await fetch(`${s.url}/_/${file}`)
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toMatch(type)
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
    }
    for (const bad of ['assets/nope.js', 'assets/..%2Findex.html', 'assets/%2e%2e%2f%2e%2e%2fpackage.json']) {
      const res = await fetch(`${s.url}/_/${bad}`)
      expect(res.status).toBe(404)
    }
    const redirect = await fetch(`${s.url}/_`, { redirect: 'manual' })
    expect(redirect.status).toBe(301)
    expect(redirect.headers.get('location')).toBe('/_/')
  })
})

describe('bundle size', () => {
  it('first load is under 300 KB of gzipped JavaScript', async () => {
    const html = await (await fetch(`${s.url}/_/`)).text()
    const scripts = [...html.matchAll(/<(?:script[^>]*src|link[^>]*rel="modulepreload"[^>]*href)="\.\/([^"]+\.js)"/g)].map((m) => m[1])
    expect(scripts.length).toBeGreaterThan(0)
    let total = 0
    for (const file of scripts) total += zlib.gzipSync(Buffer.from(await (await fetch(`${s.url}/_/${file}`)).arrayBuffer()), { level: 9 }).length
    expect(total).toBeLessThan(300 * 1024)
  })
})

describe('GET /_/ without a build', () => {
  it('falls back to the auth-link page and says so in the log', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'basalt-noui-'))
    const warnings: string[] = []
    const app = { logger: { warn: (m: string) => warnings.push(m) } } as unknown as App
    const f = Fastify()
    await f.register(uiRoutes, { app, dist: empty })
    const res = await f.inject('/_/')
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-security-policy']).toMatch(/script-src 'sha256-/)
    expect(res.body).toContain('confirm-password-reset')
    expect(warnings.join()).toMatch(/dashboard not built/)
    await f.close()
    fs.rmSync(empty, { recursive: true, force: true })
  })
})
