// Test support: an in-process SMTP server (smtp-server) that collects messages, plus mail parsing helpers.
import type { AddressInfo } from 'node:net'
import { SMTPServer } from 'smtp-server'
import type PocketBase from 'pocketbase'
import { waitFor } from './server.ts'

export interface ReceivedMail {
  /** Envelope recipients, lower-cased (what the server was told to deliver to). */
  to: string[]
  from: string
  subject: string
  /** The raw message with quoted-printable soft breaks and escapes decoded (enough to find links). */
  decoded: string
  raw: string
}

export interface TestSmtp {
  port: number
  messages: ReceivedMail[]
  /** Waits for the next not-yet-taken mail to `to` (optionally matching), marks it taken, returns it. */
  next(to: string, match?: (m: ReceivedMail) => boolean, timeoutMs?: number): Promise<ReceivedMail>
  /** Mails to `to`, taken or not. */
  to(address: string): ReceivedMail[]
  close(): Promise<void>
}

/** Quoted-printable decoding over the whole message: soft line breaks, then `=XX` escapes. */
export function decodeQuotedPrintable(text: string): string {
  const bytes = text.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)))
  return Buffer.from(bytes, 'latin1').toString('utf8')
}

export async function startSmtp(): Promise<TestSmtp> {
  const messages: ReceivedMail[] = []
  const taken = new Set<ReceivedMail>()
  const server = new SMTPServer({
    authOptional: true,
    // No STARTTLS: its self-signed certificate would make nodemailer refuse the plain local connection.
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('latin1')
        const header = raw.split(/\r?\n\r?\n/)[0].replace(/\r?\n[ \t]+/g, ' ')
        messages.push({
          to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          subject: /^subject: (.*)$/im.exec(header)?.[1] ?? '',
          decoded: decodeQuotedPrintable(raw),
          raw,
        })
        callback()
      })
    },
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const port = (server.server.address() as AddressInfo).port
  const to = (address: string) => messages.filter((m) => m.to.includes(address.toLowerCase()))
  return {
    port, messages, to,
    async next(address, match = () => true, timeoutMs = 10_000) {
      // waitFor only returns once the finder found one, hence the non-null assertion.
      const mail = (await waitFor(() => to(address).find((m) => !taken.has(m) && match(m)), timeoutMs, `a mail to ${address}`))!
      taken.add(mail)
      return mail
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

/** The token of the first `{APP_URL}/_/#/auth/<action>/<token>` link in a mail, with the full link. */
export function linkFrom(mail: ReceivedMail, action: string): { url: string; token: string } {
  const m = new RegExp(`(https?://[^\\s"'<>]+/_/#/auth/${action}/)([A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+)`).exec(mail.decoded)
  if (!m) throw new Error(`no ${action} link in mail: ${mail.decoded.slice(0, 2000)}`)
  return { url: m[1] + m[2], token: m[2] }
}

/** Points the server's mail settings at the test SMTP server, sending as Basalt <noreply@example.com>. */
export async function useTestSmtp(su: PocketBase, smtp: TestSmtp, meta: { appName: string; appURL: string }): Promise<void> {
  await su.settings.update({
    smtp: { enabled: true, host: '127.0.0.1', port: smtp.port, tls: false },
    meta: { ...meta, senderName: 'Basalt', senderAddress: 'noreply@example.com' },
  })
}
