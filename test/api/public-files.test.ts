// ./basalt_public served at `/`: content types, ETags and caching, SPA fallback, and no way out of the directory.
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type TestServer } from '../support/server.ts'

let s: TestServer
let pub: string

/** Sends the path bytes as written (fetch would normalize `..` away). */
function rawGet(url: string, pathText: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const sock = net.connect(Number(port), hostname, () => sock.write(`GET ${pathText} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`))
    let data = ''
    sock.on('data', (d) => (data += d))
    sock.on('end', () => resolve({ status: Number(data.split(' ')[1]), body: data.split('\r\n\r\n').slice(1).join('\r\n\r\n') }))
    sock.on('error', reject)
  })
}

beforeAll(async () => {
  pub = fs.mkdtempSync(path.join(os.tmpdir(), 'basalt-public-'))
  fs.writeFileSync(path.join(pub, 'index.html'), '<!doctype html><title>app</title>')
  fs.mkdirSync(path.join(pub, 'assets'))
  fs.writeFileSync(path.join(pub, 'assets', 'app.js'), 'console.log(1)')
  fs.writeFileSync(path.join(pub, 'assets', 'style.css'), 'body{}')
  fs.writeFileSync(path.join(pub, '.env'), 'SECRET=1')
  fs.writeFileSync(path.join(path.dirname(pub), 'outside-secret.txt'), 'nope')
  s = await startServer({ publicDir: pub })
})
afterAll(async () => {
  await s?.close()
  fs.rmSync(pub, { recursive: true, force: true })
})

describe('public files', () => {
  it('serves files with their content type, an ETag and cache headers; revalidation answers 304', async () => {
    const js = await fetch(`${s.url}/assets/app.js`)
    expect(js.status).toBe(200)
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/)
    expect(js.headers.get('cache-control')).toBe('public, max-age=3600')
    expect(await js.text()).toBe('console.log(1)')
    const etag = js.headers.get('etag')!
    expect(etag).toMatch(/^W\/"/)
    expect((await fetch(`${s.url}/assets/app.js`, { headers: { 'if-none-match': etag } })).status).toBe(304)
    const html = await fetch(`${s.url}/`)
    expect(html.headers.get('content-type')).toMatch(/^text\/html/)
    expect(html.headers.get('cache-control')).toBe('no-cache')
    expect((await fetch(`${s.url}/assets/style.css`)).headers.get('content-type')).toMatch(/^text\/css/)
  })

  it('falls back to index.html for client-side routes, but not for missing assets or API paths', async () => {
    const route = await fetch(`${s.url}/orders/42`)
    expect(route.status).toBe(200)
    expect(await route.text()).toContain('<title>app</title>')
    expect((await fetch(`${s.url}/assets/missing.js`)).status).toBe(404)
    const api = await fetch(`${s.url}/api/nothing-here`)
    expect(api.status).toBe(404)
    expect(await api.json()).toMatchObject({ status: 404 })
  })

  it('never serves dotfiles or anything outside the directory', async () => {
    for (const p of ['/.env', '/assets/../.env', '/%2e%2e/outside-secret.txt', '/../outside-secret.txt', '/assets/..%2f..%2foutside-secret.txt', '/%2e%2e%5coutside-secret.txt', '/app.js%00.html']) {
      const r = await rawGet(s.url, p)
      expect(r.body, p).not.toContain('SECRET')
      expect(r.body, p).not.toContain('nope')
    }
  })
})
