// Browser support for the dashboard tests: Debian's Chromium through playwright-core (never a downloaded browser),
// skipped with a visible message when absent; a screenshot of every open page to test-results/ when a test fails.
import fs from 'node:fs'
import path from 'node:path'
import { onTestFailed } from 'vitest'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
export const hasChromium = fs.existsSync(CHROMIUM)
if (!hasChromium) console.warn(`\nSKIP chromium: no browser at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH); dashboard browser tests skipped.\n`)

const RESULTS = path.resolve('test-results')

export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  })
}

/** A fresh context (own localStorage) and page; CSP violations and page errors are collected for assertions. */
export async function openPage(browser: Browser, name: string, width = 1280): Promise<{ page: Page; context: BrowserContext; problems: string[] }> {
  const context = await browser.newContext({ viewport: { width, height: 900 } })
  const page = await context.newPage()
  page.setDefaultTimeout(30_000) // generous: CI runs this beside the whole suite on 2 cores
  const problems: string[] = []
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`))
  page.on('console', (msg) => { if (/Content.Security.Policy|Refused to/i.test(msg.text())) problems.push(`csp: ${msg.text()}`) })
  onTestFailed(async () => {
    fs.mkdirSync(RESULTS, { recursive: true })
    for (const [i, p] of context.pages().entries()) {
      await p.screenshot({ path: path.join(RESULTS, `${name}-${i}.png`), fullPage: true }).catch(() => {})
    }
    if (problems.length) console.error(`${name}: ${problems.join('\n')}`)
  })
  return { page, context, problems }
}
