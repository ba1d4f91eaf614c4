// Unit tests for the /_/ link page: CSP hashes match the inline code, and the script (run in a
// minimal fake DOM) reads the fragment, scrubs it from history and calls the right API.
import { createHash } from 'node:crypto'
import vm from 'node:vm'
import { describe, expect, it } from 'vitest'
import { UI_CSP, UI_HTML } from './ui-links.ts'

const inline = (tag: string) => new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(UI_HTML)![1]
const hash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`

class El {
  children: (El | string)[] = []
  attrs: Record<string, string> = {}
  listeners: Record<string, (ev: unknown) => void> = {}
  textContent = ''
  value = ''
  disabled = false
  constructor(readonly tag: string) {}
  setAttribute(k: string, v: string) { this.attrs[k] = v }
  append(...c: El[]) { this.children.push(...c) }
  replaceChildren(...c: El[]) { this.children = c }
  addEventListener(type: string, fn: (ev: unknown) => void) { this.listeners[type] = fn }
  all(): El[] { return [this, ...this.children.flatMap((c) => (c instanceof El ? c.all() : []))] }
  get elements() { return Object.fromEntries(this.all().filter((e) => e.attrs.name).map((e) => [e.attrs.name, e])) }
  text(): string { return [this.textContent, ...this.children.map((c) => (c instanceof El ? c.text() : c))].join(' ') }
}

function token(claims: object) {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url')
  return `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}.c2ln`
}

/** Runs the page script at `url`; `respond` plays the server for each fetch. */
function runPage(url: string, respond: (status: number) => { status: number; body?: unknown } = () => ({ status: 204 })) {
  const main = new El('main')
  const calls: { url: string; body: Record<string, unknown> }[] = []
  const replaced: string[] = []
  const location = new URL(url)
  const fetch = async (u: URL, init: { body: string }) => {
    calls.push({ url: String(u), body: JSON.parse(init.body) })
    const r = respond(calls.length)
    return { status: r.status, json: async () => r.body }
  }
  vm.runInNewContext(inline('script'), {
    document: { getElementById: () => main, createElement: (t: string) => new El(t) },
    location, history: { replaceState: (_s: unknown, _t: string, u: string) => replaced.push(u) },
    fetch, URL, atob, JSON, encodeURIComponent,
  })
  const settle = () => new Promise((r) => setTimeout(r, 0))
  return { main, calls, replaced, settle }
}

describe('CSP', () => {
  it('allows exactly the inline script and style by hash, nothing inline otherwise', () => {
    expect(UI_CSP).toContain(`script-src ${hash(inline('script'))}`)
    expect(UI_CSP).toContain(`style-src ${hash(inline('style'))}`)
    expect(UI_CSP).toMatch(/default-src 'none'.*form-action 'none'.*frame-ancestors 'none'/)
    expect(inline('script')).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/)
  })
})

describe('page script', () => {
  const t = token({ type: 'verification', id: 'r1', collectionId: 'pbc_1/../x', email: 'a@x.io', exp: 9e9 })

  it('confirm-verification: posts the token at once to the collection from the token, scrubs the URL', async () => {
    const page = runPage(`https://app.example.com/_/#/auth/confirm-verification/${t}`)
    await page.settle()
    expect(page.replaced).toEqual(['/_/'])
    expect(page.calls).toEqual([{ url: 'https://app.example.com/api/collections/pbc_1%2F..%2Fx/confirm-verification', body: { token: t } }])
    expect(page.main.text()).toContain('Email verified')
  })

  it('confirm-password-reset: a form; submits token + both passwords; shows API errors as text', async () => {
    const page = runPage(`https://app.example.com/_/#/auth/confirm-password-reset/${t}`, () => ({
      status: 400, body: { message: '<b>Bad</b>', data: { password: { message: 'Too short.' } } },
    }))
    const form = page.main.all().find((e) => e.tag === 'form')!
    form.elements.password.value = 'pw-1'
    form.elements.passwordConfirm.value = 'pw-2'
    let prevented = false
    form.listeners.submit({ preventDefault: () => { prevented = true } })
    await page.settle()
    expect(prevented).toBe(true)
    expect(page.calls[0]).toEqual({ url: 'https://app.example.com/api/collections/pbc_1%2F..%2Fx/confirm-password-reset', body: { token: t, password: 'pw-1', passwordConfirm: 'pw-2' } })
    expect(page.main.text()).toContain('<b>Bad</b>') // literal text node, never markup
    expect(page.main.text()).toContain('password: Too short.')
  })

  it('confirm-email-change: asks for the current password and shows the new address', async () => {
    const page = runPage(`https://app.example.com/_/#/auth/confirm-email-change/${token({ collectionId: 'c', newEmail: 'n@x.io' })}`)
    const form = page.main.all().find((e) => e.tag === 'form')!
    expect(Object.keys(form.elements)).toEqual(['password'])
    expect(page.main.text()).toContain('n@x.io')
    form.listeners.submit({ preventDefault() {} })
    await page.settle()
    expect(page.calls[0].url).toMatch(/\/api\/collections\/c\/confirm-email-change$/)
    expect(page.main.text()).toContain('Done')
  })

  it('no fragment, malformed token, unknown action: a message, no request', () => {
    for (const url of ['https://h/_/', 'https://h/_/#/auth/confirm-verification/garbage', 'https://h/_/#/auth/drop-tables/' + t]) {
      const page = runPage(url)
      expect(page.calls).toEqual([])
      expect(page.main.text().trim()).not.toBe('')
    }
  })
})
