// Mailer port and its two adapters: SMTP (from settings) and a log mailer used when SMTP is not configured.
import nodemailer, { type Transporter } from 'nodemailer'
import type { Settings } from '../settings/settings.ts'

export interface MailMessage { to: string; subject: string; html: string; text?: string }

/** Not in the contract: delivery confirmation beyond the SMTP server accepting the message; retries. */
export interface Mailer {
  send(message: MailMessage): Promise<void>
}

export interface SentMail extends MailMessage { from: string; at: Date }

/** Prints messages (and their links) instead of sending them, so `npm start` works with no SMTP server. */
export class LogMailer implements Mailer {
  readonly sent: SentMail[] = []
  constructor(private readonly from: () => string, private readonly log: (line: string) => void = (l) => console.log(l)) {}

  async send(message: MailMessage): Promise<void> {
    const mail = { ...message, from: this.from(), at: new Date() }
    this.sent.push(mail)
    if (this.sent.length > 100) this.sent.shift()
    const links = [...message.html.matchAll(/https?:\/\/[^\s"'<>]+/g)].map((m) => m[0])
    this.log(`[mail] to=${message.to} subject=${JSON.stringify(message.subject)}${links.length ? ` links=${links.join(' ')}` : ''}`)
  }
}

export class SmtpMailer implements Mailer {
  private readonly transport: Transporter
  constructor(private readonly settings: Settings) {
    const s = settings.smtp
    this.transport = nodemailer.createTransport({
      host: s.host, port: s.port, secure: s.tls, name: s.localName || undefined,
      auth: s.username ? { user: s.username, pass: s.password } : undefined,
      connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000,
    })
  }

  async send(message: MailMessage): Promise<void> {
    const { senderName, senderAddress } = this.settings.meta
    await this.transport.sendMail({
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
