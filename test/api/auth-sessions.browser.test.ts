// Cookie sessions in a real headless Chromium (docs/sessions.md): a same-origin page logs in with fetch,
// reads a protected record by cookie, writes with the CSRF header; a page on another origin forges a
// form POST (cookies attached: same host = same site) and is refused by the Origin check.
import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chromium, type Browser } from 'playwright-core'
import { startServer, type TestServer } from '../support/server.ts'
import { PASSWORD, uniqueEmail } from './helpers.ts'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const hasChromium = fs.existsSync(CHROMIUM)
if (!hasChromium) console.warn(`\nSKIP chromium: no browser at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH); cookie-session browser test skipped.\n`)

let s: TestServer
let browser: Browser
let evil: http.Server
let evilUrl = ''
const users: Record<string, { email: string; id: string }> = {}

// The "attacker" page: auto-submits a form (a CORS-simple request, so no preflight) into an iframe.
const evilPage = (target: string) => `<!doctype html><iframe name="sink"></iframe>
<form id="f" method="POST" action="${target}" target="sink" enctype="text/plain">
<input name='{"title":"pwned","x":"' value='"}'></form><script>document.getElementById('f').submit()</script>`

async function newUser(col: string) {
  const email = uniqueEmail('br')
  const res = await fetch(`${s.url}/api/collections/${col}/records`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: PASSWORD, passwordConfirm: PASSWORD }),
  })
  return { email, id: (await res.json()).id as string }
}

async function postsTitled(title: string): Promise<number> {
  const su = await s.superuser()
  return (await su.collection('posts').getList(1, 1, { filter: su.filter('title = {:t}', { t: title }) })).totalItems
}

beforeAll(async () => {
  if (!hasChromium) return
  s = await startServer()
  const su = await s.superuser()
  await su.collections.update('users', { cookieSessions: { enabled: true, secure: false } })
  await su.collections.create({ name: 'members', type: 'auth', createRule: '', viewRule: 'id = @request.auth.id', cookieSessions: { enabled: true, secure: true } } as never)
  await su.collections.create({
    name: 'posts', type: 'base', fields: [{ name: 'title', type: 'text' }],
    listRule: '@request.auth.id != ""', viewRule: '@request.auth.id != ""', createRule: '@request.auth.id != ""',
  })
  users.users = await newUser('users')
  users.members = await newUser('members')
  evil = http.createServer((req, res) => {
    res.setHeader('content-type', 'text/html')
    res.end(evilPage(`${s.url}/api/collections/posts/records`))
  })
  await new Promise<void>((r) => evil.listen(0, '127.0.0.1', () => r()))
  evilUrl = `http://127.0.0.1:${(evil.address() as AddressInfo).port}/`
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await new Promise((r) => (evil ? evil.close(r) : r(null)))
  await s?.close()
})

/** What the same-origin app page does, run inside the browser. */
async function appFlow([col, email, id, password]: readonly [string, string, string, string]) {
  const json = { 'content-type': 'application/json' }
  const login = await fetch(`/api/collections/${col}/cookie-session`, { method: 'POST', headers: json, body: JSON.stringify({ identity: email, password }) })
  const body = await login.json()
  const read = await fetch(`/api/collections/${col}/records/${id}`)
  const noHeader = await fetch('/api/collections/posts/records', { method: 'POST', headers: json, body: JSON.stringify({ title: 'no-csrf' }) })
  const csrf = /(?:^|; )(?:__Host-)?basalt_csrf=([^;]+)/.exec(document.cookie)?.[1] ?? ''
  const write = await fetch('/api/collections/posts/records', { method: 'POST', headers: { ...json, 'x-csrf-token': csrf }, body: JSON.stringify({ title: `ok-${col}` }) })
  const refresh = await fetch(`/api/collections/${col}/cookie-session/refresh`, { method: 'POST', headers: { 'x-csrf-token': csrf } })
  return {
    login: login.status, csrfInBody: body.csrfToken === csrf, tokenInBody: 'token' in body,
    read: read.status, noHeader: noHeader.status, write: write.status, refresh: refresh.status,
    // HttpOnly: the page's JS sees the CSRF cookie but never the session or refresh token.
    visible: document.cookie,
  }
}

describe.skipIf(!hasChromium)('cookie sessions in Chromium', () => {
  for (const col of ['users', 'members']) {
    it(`${col} (${col === 'users' ? 'secure: false' : '__Host-/Secure on http://127.0.0.1'}): login, cookie read, CSRF-protected write, refresh`, async () => {
      const ctx = await browser.newContext()
      try {
        const page = await ctx.newPage()
        // The app page is served at Basalt's own origin (intercepted), so its fetches are same-origin.
        await page.route(`${s.url}/app.html`, (r) => r.fulfill({ contentType: 'text/html', body: '<!doctype html><title>app</title>' }))
        await page.goto(`${s.url}/app.html`)
        const u = users[col]
        const r = await page.evaluate(appFlow, [col, u.email, u.id, PASSWORD] as const)
        expect(r).toMatchObject({ login: 200, csrfInBody: true, tokenInBody: false, read: 200, noHeader: 403, write: 200, refresh: 200 })
        expect(r.visible).toMatch(/basalt_csrf=/)
        expect(r.visible).not.toMatch(/basalt_session|basalt_refresh/)
        const cookies = await ctx.cookies(s.url)
        const session = cookies.find((c) => c.name.endsWith('basalt_session'))!
        expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax', secure: col === 'members' })
        expect(await postsTitled(`ok-${col}`)).toBe(1)
        expect(await postsTitled('no-csrf')).toBe(0)
      } finally {
        await ctx.close()
      }
    })
  }

  it('a cross-origin page on the same host (same site: cookies are sent) cannot forge a write', async () => {
    const ctx = await browser.newContext()
    try {
      const page = await ctx.newPage()
      await page.route(`${s.url}/app.html`, (r) => r.fulfill({ contentType: 'text/html', body: '<!doctype html>' }))
      await page.goto(`${s.url}/app.html`)
      const u = users.users
      expect(await page.evaluate(async ([e, p]) => (await fetch('/api/collections/users/cookie-session', {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ identity: e, password: p }),
      })).status, [u.email, PASSWORD] as const)).toBe(200)
      const forged = page.waitForResponse((res) => res.url() === `${s.url}/api/collections/posts/records` && res.request().method() === 'POST')
      await page.goto(evilUrl)
      const res = await forged
      // The browser did attach the session cookie; the Origin check is what refuses it.
      expect(res.request().headers()['origin']).toBe(evilUrl.replace(/\/$/, ''))
      expect(await res.request().headerValue('cookie')).toMatch(/basalt_session=/)
      expect(res.status()).toBe(403)
      expect(await postsTitled('pwned')).toBe(0)
      // A credentialed cross-origin fetch never gets to read anything: no Allow-Credentials, ever.
      const read = await page.evaluate(async (url) => {
        try { await fetch(url, { credentials: 'include' }); return 'readable' } catch { return 'blocked' }
      }, `${s.url}/api/collections/users/records/${u.id}`)
      expect(read).toBe('blocked')
      // Cookies ignore ports, so this page CAN read the csrf cookie; sending it needs a credentialed
      // preflighted request, which CORS refuses (wildcard origin, no Allow-Credentials).
      const stolen = await page.evaluate(async (url) => {
        const csrf = /basalt_csrf=([^;]+)/.exec(document.cookie)?.[1]
        try {
          await fetch(url, { method: 'POST', credentials: 'include', headers: { 'content-type': 'application/json', 'x-csrf-token': csrf ?? '' }, body: '{"title":"pwned"}' })
          return { csrf: !!csrf, sent: 'readable' }
        } catch { return { csrf: !!csrf, sent: 'blocked' } }
      }, `${s.url}/api/collections/posts/records`)
      expect(stolen).toEqual({ csrf: true, sent: 'blocked' })
      expect(await postsTitled('pwned')).toBe(0)
    } finally {
      await ctx.close()
    }
  })
})
