// Realtime forwarding: a request about a realtime client (`POST /api/realtime`, the `@oauth2` redirect)
// that reaches a node other than the one holding the client's SSE stream is relayed over the Redis
// side channel to the owner, which applies it and replies — so any node can serve any request.
import { processLogger } from '../observability/logger.ts'
import { createHash, randomUUID } from 'node:crypto'
import type { CollectionService } from '../core/collections/collection-service.ts'
import { ApiError, type ApiStatus, type ErrorData } from '../core/errors.ts'
import { loadRecord } from '../core/records/record-io.ts'
import type { RealtimeHub } from '../realtime/hub.ts'
import { MAX_CLIENT_ID_LENGTH, MAX_TOPIC_LENGTH, MAX_TOPICS, parseSubscribeRequest } from '../realtime/topics.ts'
import type { AuthInfo } from '../rules/request-info.ts'
import type { Store } from '../store/types.ts'

/** Requests go to every node (`basalt:<prefix>:realtime-fwd`); replies to the asker only (`…:<nodeId>`). */
const REQUESTS = 'realtime-fwd'
const REPLIES = 'realtime-fwd-reply:'
export const DEFAULT_FORWARD_TIMEOUT_MS = 2000
/** Above 1000 topics × 2500 chars + overhead: larger can only be garbage. */
const MAX_MESSAGE_CHARS = 3_000_000
const MAX_SEND_DATA_CHARS = 256 * 1024
const MAX_PENDING = 10_000
const REPLY_STATUSES = new Set([204, 400, 403, 404, 500, 503])
const NOT_FOUND_MESSAGE = 'Missing or invalid client id.'

/** The broker's side channel (a fake in unit tests). */
export type { SideChannel } from '../realtime/types.ts'
import type { SideChannel } from '../realtime/types.ts'

/**
 * Who the requester authenticated, by id. The token itself does not travel (cookie sessions have
 * none); `tk` is a hash of the tokenKey the requester verified it against, so the owner can tell
 * if the key changed (logout, password change) in between.
 */
interface AuthRef { collectionId: string; recordId: string; tk: string }

interface Reply { status: number; message: string; data: ErrorData }

export interface RealtimeForwarderOptions {
  channel: SideChannel
  hub: RealtimeHub
  /** Loads an auth record by id (the owner's side); see `authLoader`. */
  loadAuth: (collectionId: string, recordId: string) => Promise<AuthInfo | null>
  /** How long the asker waits for the owner before answering "unknown client". */
  timeoutMs?: number
  onError?: (err: unknown) => void
}

/**
 * Guarantees: exactly one node (the owner) applies a forwarded request, with the same checks and
 * error order as a local one (400 → 404 → 400 other IP → 403); the asker answers within `timeoutMs`
 * (+ Redis latency) whatever happens; nothing read from Redis is trusted in shape or size.
 * Not guaranteed: ordering between concurrent requests for one client sent through different nodes.
 */
export class RealtimeForwarder {
  private readonly pending = new Map<string, (r: Reply | null) => void>()
  private readonly offs: (() => void)[] = []
  private readonly timeoutMs: number
  private readonly onError: (err: unknown) => void
  private closed = false

  constructor(private readonly opts: RealtimeForwarderOptions) {
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_FORWARD_TIMEOUT_MS
    this.onError = opts.onError ?? ((err) => processLogger().error({ err }, 'realtime: forwarding failed'))
    // Registered before the broker subscribes (createApp), so both channels are live once it is ready.
    this.offs.push(opts.channel.onNotify(REQUESTS, (d) => this.guard(() => this.onRequest(d))))
    this.offs.push(opts.channel.onNotify(REPLIES + opts.channel.nodeId, (d) => this.guard(() => this.onReply(d))))
  }

  /**
   * `POST /api/realtime` for a client this node does not hold. Resolves when the owner applied it;
   * throws the owner's ApiError, a local 400 for a malformed request, or 404 if no node answered.
   */
  async setSubscriptions(clientId: unknown, subscriptions: unknown, auth: AuthInfo | null, ip: string, headers: Record<string, string> = {}): Promise<void> {
    // Validation first, as on the owner: a malformed request never leaves this node.
    const req = parseSubscribeRequest(clientId, subscriptions)
    const reply = await this.ask({
      kind: 'subscribe', clientId: req.clientId, subscriptions: req.topics.map((t) => t.raw), ip, headers,
      auth: auth ? { collectionId: auth.collection.id, recordId: String(auth.record.id), tk: hashKey(auth.record.tokenKey) } : null,
    })
    if (!reply) throw new ApiError(404, NOT_FOUND_MESSAGE)
    if (reply.status !== 204) throw new ApiError(reply.status as ApiStatus, reply.message, reply.data)
  }

  /**
   * One-shot delivery to a client held by another node (the `@oauth2` popup relay): sent only if it
   * subscribes to `topic` and connected from `ip`; that subscription is removed first, so a replayed
   * request delivers nothing. False if no node holds such a client (or the send failed).
   */
  async relayOnce(clientId: string, topic: string, data: string, ip: string): Promise<boolean> {
    if (!isString(clientId, MAX_CLIENT_ID_LENGTH) || !isString(topic, MAX_TOPIC_LENGTH) || !isString(ip, 100) ||
      typeof data !== 'string' || data.length > MAX_SEND_DATA_CHARS) return false
    const reply = await this.ask({ kind: 'relay', clientId, topic, data, ip })
    return reply?.status === 204
  }

  close(): void {
    this.closed = true
    for (const off of this.offs.splice(0)) off()
    for (const finish of [...this.pending.values()]) finish(null)
  }

  /** Broadcasts a request; resolves with the owner's reply, or null after the timeout / if Redis refused it. */
  private ask(msg: Record<string, unknown>): Promise<Reply | null> {
    if (this.closed) return Promise.resolve(null)
    if (this.pending.size >= MAX_PENDING) return Promise.resolve({ status: 503, message: '', data: {} })
    const requestId = randomUUID()
    return new Promise((resolve) => {
      const finish = (r: Reply | null) => {
        clearTimeout(timer)
        this.pending.delete(requestId)
        resolve(r)
      }
      const timer = setTimeout(() => finish(null), this.timeoutMs)
      this.pending.set(requestId, finish)
      this.opts.channel.notify(REQUESTS, JSON.stringify({ ...msg, requestId, from: this.opts.channel.nodeId })).catch((err) => {
        this.onError(err)
        finish(null)
      })
    })
  }

  private onRequest(raw: string): void {
    const m = parseObject(raw)
    if (!m || !isString(m.requestId, 64) || !isString(m.from, 200) || !isString(m.clientId, MAX_CLIENT_ID_LENGTH)) return
    // Only the owner answers; the others stay silent and the asker's wait ends with its reply or the timeout.
    if (this.closed || !this.opts.hub.get(m.clientId)) return
    const reply = (r: Reply) => {
      const body = JSON.stringify({ kind: `${String(m.kind)}-result`, requestId: m.requestId, ...r })
      this.opts.channel.notify(REPLIES + (m.from as string), body).catch(this.onError)
    }
    if (m.kind === 'subscribe') void this.applySubscribe(m, reply).catch((err) => { this.onError(err); reply(asReply(new ApiError(500))) })
    else if (m.kind === 'relay') reply(this.applyRelay(m))
  }

  private async applySubscribe(m: Record<string, unknown>, reply: (r: Reply) => void): Promise<void> {
    const auth = parseAuthRef(m.auth)
    // Topic contents are validated by the hub (parseSubscribeRequest), like a local request's.
    if (auth === undefined || !isString(m.ip, 100) || !Array.isArray(m.subscriptions) || m.subscriptions.length > MAX_TOPICS) {
      return reply(asReply(new ApiError(400, 'Invalid request.')))
    }
    let info: AuthInfo | null = null
    if (auth) {
      try {
        info = await this.opts.loadAuth(auth.collectionId, auth.recordId)
      } catch (err) {
        this.onError(err)
        return reply(asReply(new ApiError(503)))
      }
      // Revoked since the asker verified the token (deleted, tokenKey changed): a guest, as an invalid token is.
      if (info && hashKey(info.record.tokenKey) !== auth.tk) info = null
    }
    try {
      this.opts.hub.setSubscriptions(m.clientId, m.subscriptions, info, m.ip as string, stringRecord(m.headers))
      reply({ status: 204, message: '', data: {} })
    } catch (err) {
      if (!(err instanceof ApiError)) this.onError(err)
      reply(asReply(err instanceof ApiError ? err : new ApiError(500)))
    }
  }

  /** Mirrors the local relay: topic and IP must match; unsubscribe, then send. */
  private applyRelay(m: Record<string, unknown>): Reply {
    const { clientId, topic, data, ip } = m
    const missing = asReply(new ApiError(404, NOT_FOUND_MESSAGE))
    if (!isString(topic, MAX_TOPIC_LENGTH) || !isString(ip, 100) || typeof data !== 'string' || data.length > MAX_SEND_DATA_CHARS) return missing
    const client = this.opts.hub.get(clientId as string)
    if (!client?.hasTopic(topic) || client.ip !== ip) return missing
    this.opts.hub.unsubscribe(client.id, topic)
    return this.opts.hub.sendTo(client.id, topic, data) ? { status: 204, message: '', data: {} } : missing
  }

  private onReply(raw: string): void {
    const m = parseObject(raw)
    if (!m || !isString(m.requestId, 64)) return
    const finish = this.pending.get(m.requestId)
    if (!finish) return // late (timed out) or not ours
    const ok = typeof m.status === 'number' && REPLY_STATUSES.has(m.status) && typeof m.message === 'string' &&
      m.message.length <= 2000 && isPlainObject(m.data)
    // A garbled reply still came from the owner: answer with a generic error rather than waiting out the timeout.
    finish(ok ? { status: m.status as number, message: m.message as string, data: m.data as ErrorData } : asReply(new ApiError(500)))
  }

  /** A malformed message must never crash the node (the broker would only log a throw, but be explicit). */
  private guard(fn: () => void): void {
    try { fn() } catch (err) { this.onError(err) }
  }
}

/** Loads an auth record by collection and record id, as `AuthService.authenticate` does after verifying a token. */
export function authLoader(store: Store, collections: CollectionService) {
  return async (collectionId: string, recordId: string): Promise<AuthInfo | null> => {
    const c = collections.find(collectionId)
    if (!c?.auth || c.id !== collectionId) return null
    const record = await loadRecord(store, c, recordId, store.dialect)
    return record ? { collection: c, record } : null
  }
}

function hashKey(tokenKey: unknown): string {
  return createHash('sha256').update(String(tokenKey ?? '')).digest('base64url')
}

function asReply(err: ApiError): Reply {
  return { status: err.status, message: err.message, data: err.data }
}

function parseObject(raw: string): Record<string, unknown> | null {
  if (typeof raw !== 'string' || raw.length > MAX_MESSAGE_CHARS) return null
  try {
    const v: unknown = JSON.parse(raw)
    return isPlainObject(v) ? v : null
  } catch {
    return null
  }
}

/** undefined = malformed; null = guest. */
function parseAuthRef(v: unknown): AuthRef | null | undefined {
  if (v === null) return null
  if (!isPlainObject(v) || !isString(v.collectionId, 100) || !isString(v.recordId, 100) || !isString(v.tk, 100)) return undefined
  return { collectionId: v.collectionId, recordId: v.recordId, tk: v.tk }
}

function isString(v: unknown, max: number): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= max
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** The relayed request headers: string values only (anything else on the channel is dropped). */
function stringRecord(v: unknown): Record<string, string> {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return {}
  return Object.fromEntries(Object.entries(v as object).filter((e): e is [string, string] => typeof e[1] === 'string'))
}
