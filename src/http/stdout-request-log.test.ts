// BASALT_LOG_REQUESTS: exactly one line per request, through the app's one logger, without the query string.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp, type App } from '../app.ts'
import { resolveConfig } from '../config.ts'
import { createLogger } from '../observability/logger.ts'
import { buildServer } from './server.ts'

const lines: Record<string, unknown>[] = []
let app: App
let dir: string

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'basalt-reqlog-'))
  const logger = createLogger({ level: 'info', pretty: false, destination: { write: (l: string) => { lines.push(JSON.parse(l)) } } })
  app = await createApp(resolveConfig({ dataDir: dir, logLevel: 'info', logRequests: true }), { logger })
})
afterAll(async () => {
  await app?.close()
  fs.rmSync(dir, { recursive: true, force: true })
})

describe('request log', () => {
  it('one line per request with method, path, status and duration; no query string', async () => {
    const server = await buildServer(app)
    lines.length = 0
    await server.inject({ method: 'GET', url: '/api/health' })
    await server.inject({ method: 'GET', url: '/api/files/x/y/z.png?token=secret-token' })
    await server.close()
    const requests = lines.filter((l) => 'status' in l)
    expect(requests).toHaveLength(2)
    expect(requests[0]).toMatchObject({ method: 'GET', path: '/api/health', status: 200, msg: expect.stringMatching(/^GET \/api\/health 200 [\d.]+ms$/) })
    expect(requests[1]).toMatchObject({ path: '/api/files/x/y/z.png', status: 404 })
    expect(JSON.stringify(lines)).not.toContain('secret-token')
    // Fastify's own "incoming request" / "request completed" pair is gone.
    expect(lines.some((l) => /incoming request|request completed/.test(String(l.msg)))).toBe(false)
  })
})
