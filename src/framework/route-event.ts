// RouteEvent: what a custom route handler or middleware receives (PocketBase's `e` in routerAdd).
import type { Readable } from 'node:stream'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { RequestInfo } from '../rules/request-info.ts'
import type { App } from '../app.ts'
import { RecordModel } from '../core/records/record-model.ts'

export interface RouteRequest {
  readonly method: string
  /** Path and query as sent. */
  readonly url: string
  readonly path: string
  /** Lower-cased header names, first values. */
  readonly headers: Record<string, string>
  /** First value of each query parameter. */
  readonly query: Record<string, string>
  /** A path parameter: `{name}` in `/hello/{name}`. */
  pathValue(name: string): string
  /** The parsed body: JSON object, urlencoded fields, or undefined. */
  body(): unknown
  /** The client address (trusted-proxy aware). */
  readonly ip: string
}

type Sent = { status: number; type?: string; body?: unknown; location?: string }

export class RouteEvent {
  readonly request: RouteRequest
  /** The authenticated record (PocketBase's `e.auth`), or null for guests. */
  readonly auth: RecordModel | null
  /** Set once the handler answered; middlewares may read it after `await e.next()`. */
  sent: Sent | null = null
  next: () => Promise<void> = async () => {}

  constructor(readonly app: App, private readonly req: FastifyRequest, params: Record<string, string | undefined>, private readonly info: RequestInfo) {
    const headers: Record<string, string> = {}
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v[0] : String(v)
    this.request = {
      method: req.method, url: req.url, path: req.url.split('?', 1)[0], headers, query: info.query,
      pathValue: (name) => params[name] ?? '',
      body: () => req.body,
      ip: req.clientIp ?? req.ip,
    }
    this.auth = info.auth ? new RecordModel(info.auth.collection, { ...info.auth.record }, info.auth.record) : null
  }

  /** Everything a rule could read about this request (`@request.*`). */
  requestInfo(): RequestInfo { return { ...this.info, body: bodyObject(this.req.body) } }

  json(status: number, body: unknown): void { this.sent = { status, type: 'application/json; charset=utf-8', body: JSON.stringify(body) } }
  string(status: number, text: string): void { this.sent = { status, type: 'text/plain; charset=utf-8', body: text } }
  html(status: number, html: string): void { this.sent = { status, type: 'text/html; charset=utf-8', body: html } }
  blob(status: number, contentType: string, data: Buffer | Uint8Array): void { this.sent = { status, type: contentType, body: Buffer.from(data) } }
  stream(status: number, contentType: string, readable: Readable): void { this.sent = { status, type: contentType, body: readable } }
  noContent(status = 204): void { this.sent = { status } }
  redirect(status: number, url: string): void { this.sent = { status, location: url } }

  /** Writes what the handler chose to the reply (nothing chosen → 204). */
  send(reply: FastifyReply): FastifyReply {
    const s = this.sent ?? { status: 204 }
    reply.status(s.status)
    if (s.location) reply.header('location', s.location)
    if (s.type) reply.type(s.type)
    return reply.send(s.body)
  }
}

function bodyObject(body: unknown): Record<string, unknown> {
  return body && typeof body === 'object' && !Array.isArray(body) && !Buffer.isBuffer(body) ? body as Record<string, unknown> : {}
}
