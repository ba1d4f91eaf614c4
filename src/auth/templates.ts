// Email template rendering for the auth mails: PocketBase placeholders, HTML-escaped values, a text part.
import type { EmailTemplate } from '../core/collections/types.ts'
import type { RecordData } from '../rules/request-info.ts'

export interface TemplateVars {
  appName: string
  appURL: string
  token: string
  record: RecordData
  /** `{ALERT_INFO}` of the authAlert mail: where the new login came from. */
  alertInfo?: string
}

export interface RenderedMail { subject: string; html: string; text: string }

/**
 * Secrets that must never reach a mail even if a superuser writes `{RECORD:tokenKey}` into a template:
 * the tokenKey is half of every signing key of the record, the password field holds the hash.
 */
const NEVER_RENDERED = new Set(['tokenKey', 'password'])

// One pass over the template: a value that itself contains "{TOKEN}" (a user's name, say) is never expanded.
const PLACEHOLDER = /\{(APP_NAME|APP_URL|TOKEN|ALERT_INFO|RECORD:(\w+))\}/g

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c])
}

function stringify(value: unknown): string {
  if (value === null || value === undefined) return ''
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  return JSON.stringify(value)
}

function resolve(vars: TemplateVars, name: string, field: string | undefined): string {
  if (field !== undefined) return NEVER_RENDERED.has(field) ? '' : stringify(vars.record[field])
  if (name === 'APP_NAME') return vars.appName
  // `{APP_URL}/_/#/…` in the templates: a configured trailing slash would otherwise give `//_/`.
  if (name === 'APP_URL') return vars.appURL.replace(/\/+$/, '')
  if (name === 'ALERT_INFO') return vars.alertInfo ?? ''
  return vars.token
}

function fill(text: string, vars: TemplateVars, encode: (v: string) => string): string {
  return text.replace(PLACEHOLDER, (_m, name: string, field: string | undefined) => encode(resolve(vars, name, field)))
}

/** Plain-text alternative: tags dropped, the few entities our escaping produces decoded, links kept. */
export function htmlToText(html: string): string {
  return html
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/(p|div|h[1-6]|li|tr)>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&(lt|gt|quot|#39|amp);/g, (_m, e: string) => ({ lt: '<', gt: '>', quot: '"', '#39': "'", amp: '&' })[e]!)
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()
}

/**
 * Fills a collection's mail template. The body is HTML, so every substituted value is escaped (a
 * record field such as `name` is attacker-chosen at sign-up); the subject is a header, so values go
 * in raw but control characters are removed (nodemailer encodes headers, this is belt and braces).
 */
export function renderTemplate(template: EmailTemplate, vars: TemplateVars): RenderedMail {
  // eslint-disable-next-line no-control-regex
  const subject = fill(template.subject, vars, (v) => v).replace(/[\u0000-\u001f\u007f]+/g, ' ').trim()
  const html = fill(template.body, vars, escapeHtml)
  return { subject, html, text: htmlToText(html) }
}
