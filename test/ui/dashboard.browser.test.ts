// The dashboard in a real headless Chromium against a real Basalt: sign-in, session, the auth-mail link pages,
// and no CSP violation anywhere (the page has no inline script or style).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser } from 'playwright-core'
import { startServer, SUPERUSER, type TestServer } from '../support/server.ts'
import { linkFrom, startSmtp, type TestSmtp } from '../support/smtp.ts'
import { ensureUiBuilt } from './build.ts'
import { sql } from '../../src/store/sql.ts'
import { installerLink } from '../../src/http/routes/ui-installer.ts'
import { hasChromium, launch, openPage } from './browser.ts'

let s: TestServer
let smtp: TestSmtp
let browser: Browser

beforeAll(async () => {
  if (!hasChromium) return
  await ensureUiBuilt()
  s = await startServer()
  smtp = await startSmtp()
  const su = await s.superuser()
  await su.settings.update({
    smtp: { enabled: true, host: '127.0.0.1', port: smtp.port, tls: false },
    meta: { appName: 'Basalt UI', appURL: s.url + '/', senderName: 'Basalt', senderAddress: 'noreply@example.com' },
  })
  browser = await launch()
}, 180_000)

afterAll(async () => {
  await browser?.close()
  await s?.close()
  await smtp?.close()
})

describe.skipIf(!hasChromium)('dashboard in Chromium', () => {
  it('first run: the installer link creates the first superuser and signs in; the link then stops working', async () => {
    const fresh = await startServer()
    try {
      await fresh.app.store.run(sql`DELETE FROM "_superusers"`)
      const link = (await installerLink(fresh.app, fresh.url))!
      const { page, context, problems } = await openPage(browser, 'installer')
      await page.goto(link)
      await page.getByRole('heading', { name: 'Create the first superuser' }).waitFor()
      expect(page.url()).not.toContain('pbinstal_') // scrubbed from the address bar and history
      await page.getByLabel('Email').fill('owner@example.com')
      await page.getByLabel('Password', { exact: true }).fill('owner-password-1')
      await page.getByLabel('Repeat the password').fill('owner-password-1')
      await page.getByRole('button', { name: /Create superuser/ }).click()
      await page.getByRole('button', { name: 'Sign out' }).waitFor()
      await fresh.client().collection('_superusers').authWithPassword('owner@example.com', 'owner-password-1')

      const again = await openPage(browser, 'installer-again')
      await again.page.goto(link)
      await again.page.getByLabel('Email').fill('intruder@example.com')
      await again.page.getByLabel('Password', { exact: true }).fill('intruder-password-1')
      await again.page.getByLabel('Repeat the password').fill('intruder-password-1')
      await again.page.getByRole('button', { name: /Create superuser/ }).click()
      await again.page.getByRole('alert').waitFor()
      expect(await again.page.getByRole('alert').textContent()).toMatch(/invalid, expired or already used/)
      expect(problems).toEqual([])
      await context.close()
      await again.context.close()
    } finally { await fresh.close() }
  })

  it('signs in with a password, survives a reload, keeps the token in this origin only, signs out', async () => {
    const { page, context, problems } = await openPage(browser, 'sign-in')
    await page.goto(`${s.url}/_/`)
    await page.getByLabel('Email').fill(SUPERUSER.email)
    await page.getByLabel('Password', { exact: true }).fill('wrong-password-1')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('alert').waitFor()
    expect(await page.getByRole('alert').textContent()).toMatch(/Failed to authenticate/i)

    await page.getByLabel('Password', { exact: true }).fill(SUPERUSER.password)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('button', { name: 'Sign out' }).waitFor()
    await page.reload()
    await page.getByRole('button', { name: 'Sign out' }).waitFor()
    // The token lives in this origin's localStorage; no cookie carries it (nothing is sent cross-site).
    const stored = await page.evaluate(() => ({ cookie: document.cookie, keys: Object.keys(localStorage), session: Object.keys(sessionStorage) }))
    expect(stored.cookie).toBe('')
    expect(stored.keys).toEqual(['basalt_dashboard_auth'])
    expect((await context.cookies()).length).toBe(0)

    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.getByRole('button', { name: 'Sign in' }).waitFor()
    expect(await page.evaluate(() => localStorage.getItem('basalt_dashboard_auth'))).toBeNull()
    expect(problems).toEqual([])
    await context.close()
  })

  it('completes a password-reset mail link and scrubs the token from the address bar', async () => {
    const email = `reset-${Date.now()}@example.com`
    await s.client().collection('users').create({ email, password: 'old-password-1', passwordConfirm: 'old-password-1' })
    await s.client().collection('users').requestPasswordReset(email)
    const link = linkFrom(await smtp.next(email), 'confirm-password-reset')
    const { page, context, problems } = await openPage(browser, 'auth-link')
    await page.goto(link.url)
    await page.getByLabel('New password', { exact: true }).fill('new-password-1')
    await page.getByLabel('Repeat the new password').fill('new-password-2')
    await page.getByRole('button', { name: 'Submit' }).click()
    await page.getByRole('alert').waitFor()
    expect(page.url()).not.toContain(link.token)
    await page.getByLabel('Repeat the new password').fill('new-password-1')
    await page.getByRole('button', { name: 'Submit' }).click()
    await page.getByText('Your password has been changed').waitFor()
    await s.client().collection('users').authWithPassword(email, 'new-password-1')
    expect(problems).toEqual([])
    await context.close()
  })
})
