// The dashboard in a real headless Chromium against a real Basalt: sign-in, session, the auth-mail link pages,
// and no CSP violation anywhere (the page has no inline script or style).
import http from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { startServer, SUPERUSER, waitFor, type TestServer } from '../support/server.ts'
import { linkFrom, startSmtp, type TestSmtp } from '../support/smtp.ts'
import { ensureUiBuilt } from './build.ts'
import { sql } from '../../src/store/sql.ts'
import { installerLink } from '../../src/http/routes/ui-installer.ts'
import { DEFAULTS } from '../../src/config.ts'
import { hasChromium, launch, openPage } from './browser.ts'

/** A 1×1 PNG. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64')

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

async function signIn(page: Page, hash = '') {
  await page.goto(`${s.url}/_/`)
  await page.getByLabel('Email').fill(SUPERUSER.email)
  await page.getByLabel('Password', { exact: true }).fill(SUPERUSER.password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('button', { name: 'Sign out' }).waitFor()
  if (hash) await page.goto(`${s.url}/_/#${hash}`)
}

async function addField(page: Page, type: string, name: string) {
  await page.getByLabel('New field type').selectOption(type)
  await page.getByRole('button', { name: 'Add field' }).click()
  await page.getByRole('textbox', { name: 'Field name' }).last().fill(name)
}

describe.skipIf(!hasChromium)('dashboard in Chromium', { timeout: 180_000 }, () => {
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
    await page.getByLabel('Email').waitFor()
    // Keyboard only: Tab to the email, type, Tab to the password, type, Enter submits.
    await page.keyboard.press('Tab')
    expect(await page.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('email')
    await page.keyboard.type(SUPERUSER.email)
    await page.keyboard.press('Tab')
    await page.keyboard.type('wrong-password-1')
    await page.keyboard.press('Enter')
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

    // A session the server no longer accepts (all superuser tokens revoked by a new tokenKey) ends at the next call.
    await page.getByLabel('Email').fill(SUPERUSER.email)
    await page.getByLabel('Password', { exact: true }).fill(SUPERUSER.password)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('button', { name: 'Sign out' }).waitFor()
    const token = await page.evaluate(() => JSON.parse(localStorage.getItem('basalt_dashboard_auth')!).token as string)
    const id = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).id as string
    await s.app.store.run(sql`UPDATE "_superusers" SET "tokenKey" = ${'revoked-' + Date.now() + '-'.repeat(30)} WHERE "id" = ${id}`)
    await page.goto(`${s.url}/_/#/settings`)
    await page.getByRole('button', { name: 'Sign in' }).waitFor()
    expect(problems).toEqual([])
    await context.close()
  })

  it('completes a password-reset mail link and scrubs the token from the address bar', async () => {
    const email = `reset-${Date.now()}@example.com`
    await s.client().collection('users').create({ email, password: 'old-password-1', passwordConfirm: 'old-password-1' })
    await s.client().collection('users').requestPasswordReset(email)
    const link = linkFrom(await smtp.next(email, undefined, 30_000), 'confirm-password-reset')
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

  it('creates a collection with several field types and rules; rule errors show on the rule', async () => {
    const { page, context, problems } = await openPage(browser, 'collection')
    await signIn(page, '/collections/_new/edit')
    await page.getByLabel('Name', { exact: true }).fill('posts')
    await addField(page, 'text', 'title')
    await addField(page, 'number', 'views')
    await addField(page, 'bool', 'published')
    await addField(page, 'select', 'tags')
    await page.getByLabel('Values (comma-separated)').fill('news, tech')
    await addField(page, 'json', 'meta')
    await addField(page, 'file', 'cover')
    await addField(page, 'date', 'when')
    await addField(page, 'relation', 'owner')
    await page.getByLabel('Related collection').selectOption({ label: 'users' })
    const listRule = page.getByRole('checkbox', { name: 'Superusers only' }).first()
    await listRule.uncheck()
    await page.getByLabel('listRule expression').fill('title ~~ "x"')
    await page.getByRole('button', { name: 'Create collection' }).click()
    await page.getByText(/listRule|invalid|filter/i).and(page.locator('.field-err')).first().waitFor()
    expect(await s.superuser().then((su) => su.collections.getOne('posts').then(() => true, () => false))).toBe(false)

    // The rule editor completes field names.
    await page.getByLabel('listRule expression').fill('pub')
    await page.getByRole('group', { name: 'Completions for listRule' }).getByRole('button', { name: 'published' }).click()
    await page.getByLabel('listRule expression').press('End')
    await page.getByLabel('listRule expression').pressSequentially(' = true')
    await page.getByRole('button', { name: 'Create collection' }).click()
    await page.getByRole('heading', { name: 'Edit collection posts' }).waitFor()
    const posts = await (await s.superuser()).collections.getOne('posts')
    const types = Object.fromEntries(posts.fields.map((f: { name: string; type: string }) => [f.name, f.type]))
    expect(types).toMatchObject({ title: 'text', views: 'number', published: 'bool', tags: 'select', meta: 'json', cover: 'file', when: 'date', owner: 'relation', created: 'autodate' })
    expect(posts.listRule).toBe('published = true')
    expect(posts.viewRule).toBeNull()
    expect(posts.fields.find((f: { name: string }) => f.name === 'tags')!.values).toEqual(['news', 'tech'])

    // Rename a field: its data is kept (same field id).
    await page.getByRole('textbox', { name: 'Field name' }).nth(posts.fields.findIndex((f: { name: string }) => f.name === 'views')).fill('hits')
    await page.getByRole('button', { name: 'Save changes' }).click()
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor()
    const renamed = await (await s.superuser()).collections.getOne('posts')
    expect(renamed.fields.find((f: { name: string }) => f.name === 'hits')!.id).toBe(posts.fields.find((f: { name: string }) => f.name === 'views')!.id)
    expect(problems).toEqual([])
    await context.close()
  })

  it('creates, edits, filters, live-updates and deletes records, incl. a file; HTML in values stays text', async () => {
    const { page, context, problems } = await openPage(browser, 'records')
    await signIn(page, '/collections/posts')
    const xss = '<img src=x onerror="window.__xss=1">'
    await page.getByRole('button', { name: 'New record' }).click()
    await page.getByLabel('title', { exact: true }).fill(xss)
    await page.getByLabel('hits', { exact: true }).fill('5')
    await page.getByLabel('tags', { exact: true }).selectOption('tech')
    await page.getByLabel('meta (JSON)').fill('{"a": [1, 2]}')
    await page.getByLabel('Upload cover').setInputFiles({ name: 'hello.txt', mimeType: 'text/plain', buffer: Buffer.from('hello file') })
    await page.getByRole('button', { name: 'Create record' }).click()
    const table = page.getByRole('table', { name: 'posts records' })
    await table.getByText(xss, { exact: true }).waitFor()
    expect(await table.locator('img').count()).toBe(0)
    expect(await page.evaluate(() => (window as { __xss?: number }).__xss)).toBeUndefined()
    const su = await s.superuser()
    const [rec] = await su.collection('posts').getFullList()
    expect(rec).toMatchObject({ title: xss, hits: 5, tags: 'tech', meta: { a: [1, 2] } })
    expect(rec.cover).toMatch(/^hello_\w+\.txt$/)
    expect(await (await fetch(su.files.getURL(rec, rec.cover))).text()).toBe('hello file')

    // Edit: the form shows the value as text too.
    await page.getByRole('button', { name: `Edit ${rec.id}` }).click()
    expect(await page.getByLabel('title', { exact: true }).inputValue()).toBe(xss)
    await page.getByLabel('title', { exact: true }).fill('second title')
    await page.getByRole('button', { name: 'Save record' }).click()
    await table.getByText('second title').waitFor()
    expect((await su.collection('posts').getOne(rec.id)).title).toBe('second title')

    // Relation picker with search, and an image upload with previews.
    const owner = await su.collection('users').create({ email: 'picker-target@example.com', password: 'picker-pass-1', passwordConfirm: 'picker-pass-1' })
    await page.getByRole('button', { name: `Edit ${rec.id}` }).click()
    await page.getByLabel('owner (record id)').fill('picker-target')
    await waitFor(async () => (await page.locator('#rel-owner option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value))).includes(owner.id), 30_000, 'the relation picker to offer the user')
    await page.getByLabel('owner (record id)').fill(owner.id)
    await page.getByLabel('Upload cover').setInputFiles({ name: 'pixel.png', mimeType: 'image/png', buffer: PNG })
    await page.getByAltText('Preview of the picked file').waitFor()
    await page.getByRole('button', { name: 'Save record' }).click()
    await table.getByText(owner.id).waitFor()
    const withImage = await su.collection('posts').getOne(rec.id)
    expect(withImage.owner).toBe(owner.id)
    expect(withImage.cover).toMatch(/^pixel_\w+\.png$/)
    await page.getByRole('button', { name: `Edit ${rec.id}` }).click()
    const thumb = page.getByAltText(`Preview of ${withImage.cover}`)
    await thumb.waitFor()
    await waitFor(() => thumb.evaluate((img) => (img as HTMLImageElement).naturalWidth > 0), 30_000, 'the thumbnail to load')
    await page.getByRole('button', { name: 'Back to list' }).click()

    // Filter: a syntax error shows inline; a valid one narrows the table.
    await page.getByLabel('Filter').fill('nosuchfield = 1')
    await page.getByRole('button', { name: 'Apply' }).click()
    await page.locator('#filter-error').waitFor()
    await page.getByLabel('Filter').fill('hits = 6')
    await page.getByRole('button', { name: 'Apply' }).click()
    await table.getByText('No records.').waitFor()
    await page.getByLabel('Filter').fill('hits = 5')
    await page.getByRole('button', { name: 'Apply' }).click()
    await table.getByText('second title').waitFor()
    expect(await page.locator('#filter-error').count()).toBe(0)
    await page.getByLabel('Filter').fill('')
    await page.getByRole('button', { name: 'Apply' }).click()

    // Live: a record created from a second page appears here without a reload.
    await page.getByText('Live', { exact: true }).waitFor()
    const other = await openPage(browser, 'records-other')
    await signIn(other.page, '/collections/posts')
    await other.page.getByRole('button', { name: 'New record' }).click()
    await other.page.getByLabel('title', { exact: true }).fill('from the other page')
    await other.page.getByRole('button', { name: 'Create record' }).click()
    await other.page.getByRole('table', { name: 'posts records' }).getByText('from the other page').waitFor()
    await table.getByText('from the other page').waitFor()

    // Sort by a column, then bulk delete.
    await table.getByRole('button', { name: 'title' }).click()
    await table.locator('tbody tr').first().getByText('from the other page').waitFor()
    await table.getByRole('button', { name: /^title/ }).click()
    await table.locator('tbody tr').first().getByText('second title').waitFor()
    await page.getByRole('checkbox', { name: `Select ${rec.id}` }).check()
    await page.getByRole('button', { name: 'Delete 1 selected' }).click()
    await table.getByText('second title').waitFor({ state: 'detached' })
    expect((await su.collection('posts').getFullList()).map((r) => r.title)).toEqual(['from the other page'])
    expect(problems).toEqual([])
    expect(other.problems).toEqual([])
    await other.context.close()
    await context.close()
  })

  it('saves settings and sends a test email', async () => {
    const { page, context, problems } = await openPage(browser, 'settings')
    await signIn(page, '/settings')
    await page.getByLabel('Application name').fill('Renamed <b>App</b>')
    await page.getByRole('button', { name: 'Save' }).click()
    await page.getByRole('status').filter({ hasText: 'Application settings saved.' }).waitFor()
    const su = await s.superuser()
    expect((await su.settings.getAll()).meta.appName).toBe('Renamed <b>App</b>')

    await page.getByRole('button', { name: 'Batch' }).click()
    await page.getByLabel('Enable /api/batch').check()
    await page.getByLabel('Max requests per batch').fill('7')
    await page.getByRole('button', { name: 'Save' }).click()
    await page.getByRole('status').filter({ hasText: 'Batch settings saved.' }).waitFor()
    expect((await su.settings.getAll()).batch).toMatchObject({ enabled: true, maxRequests: 7 })

    await page.getByRole('button', { name: 'Mail' }).click()
    await page.getByLabel('To').fill('ops@example.com')
    await page.getByRole('button', { name: 'Send test email' }).click()
    await page.getByText('Test email sent to ops@example.com.').waitFor()
    expect((await smtp.next('ops@example.com', undefined, 30_000)).decoded).toContain('test email')
    expect(problems).toEqual([])
    await context.close()
  })

  it('shows request logs as text, with details', async () => {
    // A request whose URL carries markup: it must show as text in the logs table and details.
    const evil = '/api/x<img/src=x/onerror=window.__xss=1>'
    await new Promise<void>((resolve, reject) => {
      http.get(new URL(s.url), { path: evil }, (res) => { res.resume(); res.on('end', resolve) }).on('error', reject)
    })
    const su = await s.superuser()
    await waitFor(async () => (await su.logs.getList(1, 1, { filter: 'data.url ~ "onerror" && data.status = 404' })).totalItems > 0, 30_000, 'the request log')
    const { page, context, problems } = await openPage(browser, 'logs')
    await signIn(page, '/logs')
    const table = page.getByRole('table', { name: 'Logs' })
    await page.getByLabel('Filter').fill('data.url ~ "onerror" && data.status = 404')
    await page.getByRole('button', { name: 'Apply' }).click()
    await table.getByText(/onerror/).first().waitFor()
    await page.getByRole('img', { name: /Requests per minute, last hour: [1-9]\d* in total/ }).waitFor()
    expect(await table.locator('img').count()).toBe(0)
    await table.getByRole('button', { name: 'View' }).first().click()
    await page.getByRole('dialog', { name: 'Log entry' }).getByRole('heading', { name: 'GET /api/x<img/src=x/onerror=window.__xss=1>' }).waitFor()
    expect(await page.getByRole('dialog', { name: 'Log entry' }).locator('img').count()).toBe(0)
    expect(await page.evaluate(() => (window as { __xss?: number }).__xss)).toBeUndefined()
    await page.getByLabel('Filter').fill('nosuch ~~ ')
    await page.getByRole('button', { name: 'Apply' }).click()
    await page.getByRole('alert').waitFor()
    expect(problems).toEqual([])
    await context.close()
  })

  it('signs in with password + emailed code when MFA is on', async () => {
    const mfa = await startServer()
    try {
      const su = await mfa.superuser()
      await su.settings.update({ smtp: { enabled: true, host: '127.0.0.1', port: smtp.port, tls: false }, meta: { senderAddress: 'noreply@example.com' } })
      await su.collections.update('_superusers', { otp: { enabled: true }, mfa: { enabled: true } })
      const { page, context, problems } = await openPage(browser, 'mfa')
      await page.goto(`${mfa.url}/_/`)
      await page.getByLabel('Email').fill(SUPERUSER.email)
      await page.getByLabel('Password', { exact: true }).fill(SUPERUSER.password)
      await page.getByRole('button', { name: 'Sign in' }).click()
      await page.getByText('A second factor is required').waitFor()
      const otpMail = await smtp.next(SUPERUSER.email, (m) => /one-time password is/.test(m.decoded), 30_000)
      const code = /one-time password is: (?:<strong>)?(\d+)/.exec(otpMail.decoded)![1]
      await page.getByLabel('One-time code').fill(code)
      await page.getByRole('button', { name: 'Verify' }).click()
      await page.getByRole('button', { name: 'Sign out' }).waitFor()
      expect(problems).toEqual([])
      await context.close()
    } finally { await mfa.close() }
  })

  it('exports and imports the schema, previews the API, truncates and deletes a collection; readable at 390 px', async () => {
    const { page, context, problems } = await openPage(browser, 'schema', 390)
    await signIn(page, '/collections/_io')
    const exported = JSON.parse(await page.getByLabel('Current schema (JSON)').inputValue())
    expect(exported.map((c: { name: string }) => c.name)).toContain('posts')
    await page.getByLabel('Collections JSON').fill(JSON.stringify([{ name: 'notes', type: 'base', fields: [{ name: 'body', type: 'text' }], listRule: '' }]))
    await page.getByRole('button', { name: 'Import' }).click()
    await page.getByText('Imported 1 collections.').waitFor()
    const su = await s.superuser()
    expect((await su.collections.getOne('notes')).listRule).toBe('')
    expect((await su.collections.getOne('posts')).name).toBe('posts') // not deleted: "delete missing" was off

    await page.goto(`${s.url}/_/#/collections/notes/api`)
    const sdk = page.getByLabel('SDK example')
    await sdk.getByText("pb.collection('notes').getList(1, 50").waitFor()
    expect(await sdk.textContent()).toContain('"body": "text"')
    expect(await page.getByLabel('curl example').textContent()).toContain(`${s.url}/api/collections/notes/records`)
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390)

    for (const hash of ['/collections/posts', '/collections/posts/edit', '/settings', '/logs']) {
      await page.goto(`${s.url}/_/#${hash}`)
      await page.getByRole('heading').first().waitFor()
      // Wide tables scroll inside their own box; the page itself never scrolls sideways.
      expect(await page.evaluate(() => document.documentElement.scrollWidth), hash).toBeLessThanOrEqual(390)
    }

    await su.collection('notes').create({ body: 'to be truncated' })
    await page.goto(`${s.url}/_/#/collections/notes/edit`)
    await page.getByRole('button', { name: 'Delete all records' }).click()
    await page.getByRole('button', { name: 'Really delete every record of notes' }).click()
    await page.getByRole('status').filter({ hasText: 'All records of notes deleted.' }).waitFor()
    expect((await su.collection('notes').getList(1, 1)).totalItems).toBe(0)
    await page.getByRole('button', { name: 'Delete collection' }).click()
    await page.getByRole('button', { name: /Really delete notes/ }).click()
    await page.getByText('Choose a collection, or create one.').waitFor()
    expect(await su.collections.getOne('notes').then(() => true, () => false)).toBe(false)
    expect(problems).toEqual([])
    await context.close()
  })

  it('edits auth options: mail template and token duration', async () => {
    const { page, context, problems } = await openPage(browser, 'auth-options')
    await signIn(page, '/collections/users/edit')
    await page.getByText('Verification', { exact: true }).click()
    await page.getByLabel('Verification subject').fill('Welcome to {APP_NAME} <b>now</b>')
    await page.getByLabel('verificationToken', { exact: true }).fill('7200')
    await page.getByRole('button', { name: 'Add OAuth2 provider' }).click()
    await page.getByLabel('Provider', { exact: true }).fill('github')
    await page.getByLabel('Client id').fill('gh-client-id')
    await page.getByLabel('Client secret').fill('gh-client-secret')
    await page.getByRole('button', { name: 'Save changes' }).click()
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor()
    const users = await (await s.superuser()).collections.getOne('users')
    expect(users.verificationTemplate.subject).toBe('Welcome to {APP_NAME} <b>now</b>')
    expect(users.verificationToken.duration).toBe(7200)
    expect(users.oauth2.providers).toMatchObject([{ name: 'github', clientId: 'gh-client-id', clientSecret: '' }]) // secrets are never read back
    expect(problems).toEqual([])
    await context.close()
  })

  it('rotates a token secret: every auth token issued before stops working', async () => {
    const email = `rotate-${Date.now()}@example.com`
    const user = s.client()
    await user.collection('users').create({ email, password: 'rotate-pass-123', passwordConfirm: 'rotate-pass-123' })
    await user.collection('users').authWithPassword(email, 'rotate-pass-123')
    const { page, context, problems } = await openPage(browser, 'rotate-secret')
    await signIn(page, '/collections/users/edit')
    await page.getByLabel('Rotate authToken secret').check()
    await page.getByRole('button', { name: 'Save changes' }).click()
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor()
    await expect(user.collection('users').authRefresh()).rejects.toMatchObject({ status: 401 })
    const again = await s.client().collection('users').authWithPassword(email, 'rotate-pass-123')
    expect(again.token).toEqual(expect.any(String)) // new logins get tokens signed with the new secret
    expect(await page.getByLabel('Rotate authToken secret').isChecked()).toBe(false)
    expect(problems).toEqual([])
    await context.close()
  })

  it('lists jobs by state, retries a failed one, signals a workflow, runs a cron job now', async () => {
    let fail = true
    let runs = 0
    s.app.jobs.define('ui-flaky', () => { runs++; if (fail) throw new Error('<b>upstream</b> down') }, { maxAttempts: 1 })
    const id = await s.app.jobs.enqueue('ui-flaky', { n: 1 })
    await waitFor(async () => (await s.app.jobs.get(id))?.state === 'failed', 30_000, 'the job to fail')
    const { page, context, problems } = await openPage(browser, 'jobs')
    await signIn(page, '/jobs')
    await page.getByLabel('State', { exact: true }).selectOption('failed')
    const table = page.getByRole('table', { name: 'Jobs' })
    await table.getByText('<b>upstream</b> down').waitFor()
    fail = false
    await page.getByRole('button', { name: `Retry ${id}` }).click()
    await page.getByRole('status').filter({ hasText: 'Retrying ui-flaky' }).waitFor()
    await waitFor(async () => (await s.app.jobs.get(id))?.state === 'completed', 30_000, 'the retried job to complete')
    expect(runs).toBe(2)
    // A waiting workflow gets the signal it waits for, with JSON data.
    s.app.workflows.define('ui-approval', {
      steps: [
        { name: 'approved', waitFor: 'approve' },
        { name: 'apply', run: (ctx) => ({ by: (ctx.results.approved as { by: string }).by }) },
      ],
    })
    const wf = await s.app.workflows.start('ui-approval', {})
    await waitFor(async () => (await s.app.workflows.get(wf))?.state === 'waiting', 30_000, 'the workflow to wait')
    await page.getByRole('button', { name: 'Refresh workflows' }).click()
    await page.getByRole('button', { name: `Signal ${wf}` }).click()
    expect(await page.getByLabel('Signal name').inputValue()).toBe('approve')
    await page.getByLabel('Signal data (JSON, optional)').fill('{"by": "<i>alice</i>"}')
    await page.getByRole('button', { name: 'Send signal' }).click()
    await page.getByRole('status').filter({ hasText: `Sent approve to ${wf}.` }).waitFor()
    await waitFor(async () => (await s.app.workflows.get(wf))?.state === 'completed', 30_000, 'the workflow to complete')
    expect((await s.app.workflows.get(wf))!.results).toMatchObject({ apply: { by: '<i>alice</i>' } })

    const crons = page.getByRole('table', { name: 'Cron jobs' })
    const first = (await s.app.cron.list())[0]
    if (first) {
      await crons.getByRole('button', { name: `Run ${first.id} now` }).click()
      await page.getByRole('status').filter({ hasText: `Started ${first.id}.` }).waitFor()
    }
    expect(problems).toEqual([])
    await context.close()
  })

  it('shows a 1,000-row page with only the rows in view in the DOM', async () => {
    const su = await s.superuser()
    await su.collections.create({ name: 'big', type: 'base', fields: [{ name: 'title', type: 'text' }, { name: 'n', type: 'number' }] })
    for (let k = 0; k < 1000; k += 20) {
      await Promise.all(Array.from({ length: 20 }, (_, i) => su.collection('big').create({ title: `Row ${k + i}`, n: k + i })))
    }
    const { page, context, problems } = await openPage(browser, 'big')
    await signIn(page, '/collections/big')
    await page.getByText('1000 records').waitFor()
    await page.getByLabel('Per page').selectOption('1000')
    await page.getByRole('button', { name: 'n', exact: true }).click()
    const table = page.getByRole('table', { name: 'big records' })
    await table.locator('tbody tr.data').first().getByText('Row 0', { exact: true }).waitFor()
    expect(await table.getAttribute('aria-rowcount')).toBe('1001')
    expect(await table.locator('tbody tr.data').count()).toBeLessThan(100)
    await page.evaluate(() => { const sc = document.querySelector('.table-wrap')!; sc.scrollTop = sc.scrollHeight })
    await table.getByText('Row 999', { exact: true }).waitFor()
    await page.evaluate(() => { document.querySelector('.table-wrap')!.scrollTop = 20_000 })
    await table.getByText(/^Row 4\d\d$/).first().waitFor()
    expect(await table.locator('tbody tr.data').count()).toBeLessThan(100)
    expect(problems).toEqual([])
    await context.close()
  })

  it('replays a logged webhook delivery', async () => {
    const got: string[] = []
    const receiver = http.createServer((req, res) => { let b = ''; req.on('data', (c) => { b += c }); req.on('end', () => { got.push(b); res.end('ok') }) })
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r))
    const hooked = await startServer({ events: { ...DEFAULTS.events, webhooksAllowPrivate: true }, jobs: { ...DEFAULTS.jobs, pollMs: 100 } })
    try {
      const su = await hooked.superuser()
      await su.collections.create({ name: 'orders', type: 'base', fields: [{ name: 'total', type: 'number' }] })
      const port = (receiver.address() as { port: number }).port
      await su.collection('_webhooks').create({ url: `http://127.0.0.1:${port}/hook`, collections: ['orders'], events: ['create'], secret: `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`, active: true })
      await su.collection('orders').create({ total: 42 })
      await waitFor(async () => got.length === 1 && (await su.collection('_webhookDeliveries').getList(1, 1)).totalItems > 0, 30_000, 'the first delivery')
      const [delivery] = await su.collection('_webhookDeliveries').getFullList()
      const { page, context, problems } = await openPage(browser, 'webhooks')
      await page.goto(`${hooked.url}/_/`)
      await page.getByLabel('Email').fill(SUPERUSER.email)
      await page.getByLabel('Password', { exact: true }).fill(SUPERUSER.password)
      await page.getByRole('button', { name: 'Sign in' }).click()
      await page.getByRole('button', { name: 'Sign out' }).waitFor()
      await page.goto(`${hooked.url}/_/#/collections/_webhookDeliveries`)
      await page.getByRole('button', { name: `Replay ${delivery.id}` }).click()
      await page.getByRole('status').filter({ hasText: `Replay of ${delivery.id} queued` }).waitFor()
      await waitFor(() => got.length === 2, 30_000, 'the replayed delivery')
      expect(got[1]).toBe(got[0])
      expect(problems).toEqual([])
      await context.close()
    } finally {
      await hooked.close()
      await new Promise((r) => receiver.close(r))
    }
  })

  it('auth records: sends a verification email and impersonates', async () => {
    const email = `member-${Date.now()}@example.com`
    const user = await s.client().collection('users').create({ email, password: 'member-pass-1', passwordConfirm: 'member-pass-1' })
    const { page, context, problems } = await openPage(browser, 'auth-record')
    await signIn(page, '/collections/users')
    await page.getByRole('button', { name: `Edit ${user.id}` }).click()
    await page.getByRole('button', { name: 'Send verification email' }).click()
    await page.getByRole('status').filter({ hasText: `Verification email sent to ${email}.` }).waitFor()
    expect(linkFrom(await smtp.next(email, undefined, 30_000), 'confirm-verification').token).toBeTruthy()
    await page.getByRole('button', { name: 'Impersonate (1-hour token)' }).click()
    const token = await page.getByLabel(`Token for ${email}`).inputValue()
    const pb = s.client()
    pb.authStore.save(token, null)
    expect((await pb.collection('users').authRefresh()).record.id).toBe(user.id)
    expect(problems).toEqual([])
    await context.close()
  })

  it('creates, downloads and deletes a backup', async () => {
    const { page, context, problems } = await openPage(browser, 'backups')
    await signIn(page, '/backups')
    await page.getByLabel(/Backup name/).fill('ui_test.zip')
    await page.getByRole('button', { name: 'Create backup' }).click()
    await page.getByRole('status').filter({ hasText: 'Backup ui_test.zip created.' }).waitFor({ timeout: 60_000 })
    const table = page.getByRole('table', { name: 'Backups' })
    await table.getByText('ui_test.zip', { exact: true }).waitFor()
    const href = await table.getByRole('link', { name: 'Download' }).first().getAttribute('href')
    const zip = await fetch(new URL(href!, `${s.url}/_/`))
    expect(zip.status).toBe(200)
    expect(Buffer.from(await zip.arrayBuffer()).subarray(0, 2).toString()).toBe('PK')
    await page.getByRole('button', { name: 'Delete ui_test.zip' }).click()
    await page.getByRole('status').filter({ hasText: 'Deleted ui_test.zip.' }).waitFor()
    expect((await (await s.superuser()).backups.getFullList()).map((b) => b.key)).not.toContain('ui_test.zip')
    expect(problems).toEqual([])
    await context.close()
  })
})
