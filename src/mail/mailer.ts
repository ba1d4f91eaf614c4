// Mailer port and its two adapters: SMTP (from settings) and a log mailer used when SMTP is not configured.
import type { Transporter } from 'nodemailer'
import type { Settings } from '../settings/settings.ts'
import { processLogger } from '../observability/logger.ts'

export interface MailMessage { to: string; subject: string; html: string; text?: string }

/** Not in the contract: delivery confirmation beyond the SMTP server accepting the message; retries. */
export interface Mailer {
  send(message: MailMessage): Promise<void>
}

export interface SentMail extends MailMessage { from: string; at: Date }

/** HTML mail as plain text for a terminal: paragraphs and line breaks kept, tags dropped, common entities decoded. */
export function mailText(html: string): string {
  const text = html
    .replace(/<\s*(br|\/p|\/div|\/h\d|\/li|\/tr)\b[^>]*>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&nbsp;/g, ' ').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&')
  return text.split('\n').map((l) => l.trim()).filter(Boolean).join('\n').slice(0, 4000)
}

/** What the log mailer prints: addressee, subject, the whole text (OTP codes included) and every link. */
export function formatLoggedMail(message: MailMessage): string {
  const text = message.text ?? mailText(message.html)
  const links = [...new Set([...message.html.matchAll(/https?:\/\/[^\s"'<>]+/g)].map((m) => m[0]))].filter((l) => !text.includes(l))
  return `mail to ${message.to} (no SMTP configured, printed instead): ${JSON.stringify(message.subject)}\n${text}` +
    (links.length ? `\nlinks: ${links.join(' ')}` : '')
}

/** Prints messages instead of sending them, so `npm start` works with no SMTP server and every flow can be finished. */
export class LogMailer implements Mailer {
  readonly sent: SentMail[] = []
  constructor(private readonly from: () => string, private readonly log: (line: string) => void = (l) => processLogger().info(l)) {}

  async send(message: MailMessage): Promise<void> {
    const mail = { ...message, from: this.from(), at: new Date() }
    this.sent.push(mail)
    if (this.sent.length > 100) this.sent.shift()
    this.log(formatLoggedMail(message))
  }
}

export class SmtpMailer implements Mailer {
  private transport: Promise<Transporter> | null = null
  constructor(private readonly settings: Settings) {}

  /** nodemailer (~14 MB) loads with the first mail sent over SMTP, not at start. */
  private connect(): Promise<Transporter> {
    const s = this.settings.smtp
    this.transport ??= import('nodemailer').then(({ default: nodemailer }) => nodemailer.createTransport({
      host: s.host, port: s.port, secure: s.tls, name: s.localName || undefined,
      auth: s.username ? { user: s.username, pass: s.password } : undefined,
      connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000,
    }))
    return this.transport
  }

  async send(message: MailMessage): Promise<void> {
    const { senderName, senderAddress } = this.settings.meta
    await (await this.connect()).sendMail({
      from: { name: senderName, address: senderAddress },
      to: message.to, subject: message.subject, html: message.html,
      text: message.text ?? message.html.replace(/<[^>]*>/g, ''),
    })
  }
}

/** Picks the mailer from the current settings on every send, so settings changes apply at once. */
/** Wraps every send (the `onMailerSend` hook): may change the message, or not call `deliver` to drop it. */
export type SendInterceptor = (message: MailMessage, deliver: (message: MailMessage) => Promise<void>) => Promise<void>

export class SettingsMailer implements Mailer {
  readonly log: LogMailer
  constructor(private readonly settings: () => Promise<Settings>, log?: LogMailer, private readonly intercept?: SendInterceptor) {
    this.log = log ?? new LogMailer(() => 'basalt')
  }

  async send(message: MailMessage): Promise<void> {
    if (this.intercept) return this.intercept({ ...message }, (m) => this.deliver(m))
    return this.deliver(message)
  }

  private async deliver(message: MailMessage): Promise<void> {
    const s = await this.settings()
    if (s.smtp.enabled) return new SmtpMailer(s).send(message)
    return this.log.send(message)
  }
}
