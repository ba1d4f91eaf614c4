// RealtimeHub: connected clients, their subscriptions and bound auth, and per-subscriber event fan-out.
import { processLogger } from '../observability/logger.ts'
import { ApiError, forbidden, notFound } from '../core/errors.ts'
import { randomString } from '../core/ids.ts'
import type { AuthInfo } from '../rules/request-info.ts'
import { authKeyOf, Client, systemTimers, type ClientDeps, type CloseReason, type DeliveryStats, type Timers } from './client.ts'
import { parseSubscribeRequest, parseTopic } from './topics.ts'
import type { Authorizer, ChangeEvent, RealtimeClient, Topic, Transport } from './types.ts'

export interface RealtimeHubOptions {
  authorize: Authorizer
  /** Close a client after this long without any sent message (PocketBase: 5 min). */
  idleTimeoutMs?: number
  /** Close a client this long after it connected, unconditionally (PocketBase: 30 min). */
  maxLifetimeMs?: number
  /** Events queued for one client (waiting on earlier events or the authorizer) before it is dropped. */
  maxPendingPerClient?: number
  now?: () => number
  timers?: Timers
  /** Authorizer failures and other swallowed errors; defaults to the process logger. */
  onError?: (err: unknown, context: { clientId?: string; topic?: string }) => void
  /**
   * Whether rules may read `@request.headers` for this event (default: always). When false, clients that
   * sent different headers share one authorizer call; when true, the headers are part of the memo key.
   */
  readsHeaders?: (event: ChangeEvent, topic: Topic) => boolean
  /** Observability hook: a client closed (idle, lifetime, slow consumer, disconnect, shutdown). */
  onClose?: (client: RealtimeClient, reason: CloseReason) => void
  /**
   * Last look at each record message for one client (the `onRealtimeMessageSend` hook): returns the data
   * to send, or null to skip it. Only consulted when `hasBeforeSend()` says handlers exist.
   */
  beforeSend?: (client: RealtimeClient, name: string, data: string) => Promise<string | null>
  hasBeforeSend?: () => boolean
}

export const DEFAULT_IDLE_TIMEOUT_MS = 5 * 60_000
export const DEFAULT_MAX_LIFETIME_MS = 30 * 60_000
export const DEFAULT_MAX_PENDING = 1000

export class RealtimeHub {
  private clients = new Map<string, Client>()
  /** Collection id/name as written in topics -> clients with at least one topic on it ('' = custom topics). */
  private byCollection = new Map<string, Set<Client>>()
  /** Auth key (`collectionId/recordId`) -> clients bound to that auth record. */
  private byAuth = new Map<string, Set<Client>>()
  /** The headers each client sent with its last subscription request, serialised (memo key part). */
  private headerKeys = new WeakMap<Client, string>()
  private readonly authorize: Authorizer
  private readonly onError: NonNullable<RealtimeHubOptions['onError']>
  private readonly deps: ClientDeps
  /** Messages delivered to / dropped for clients since start (observability; see src/observability/metrics.ts). */
  readonly stats: DeliveryStats = { delivered: 0, dropped: 0 }

  constructor(private opts: RealtimeHubOptions) {
    this.authorize = opts.authorize
    this.onError = opts.onError ?? ((err, ctx) => processLogger().error({ err, ...ctx }, 'realtime: delivery failed'))
    this.deps = {
      now: opts.now ?? (() => Date.now()),
      timers: opts.timers ?? systemTimers,
      idleTimeoutMs: opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
      maxLifetimeMs: opts.maxLifetimeMs ?? DEFAULT_MAX_LIFETIME_MS,
      maxPending: opts.maxPendingPerClient ?? DEFAULT_MAX_PENDING,
      onClose: (client, reason) => this.unregister(client, reason),
      stats: this.stats,
    }
  }

  get size(): number {
    return this.clients.size
  }

  /** Registers a new connection and sends `PB_CONNECT` (the SDK reads the clientId from the SSE `id:`). */
  connect(transport: Transport, ip: string): RealtimeClient {
    let id = randomString(40)
    while (this.clients.has(id)) id = randomString(40)
    transport.attach?.(id)
    const client = new Client(id, ip, transport, this.deps)
    this.clients.set(id, client)
    client.send('PB_CONNECT', JSON.stringify({ clientId: id }))
    return client
  }

  get(clientId: string): RealtimeClient | undefined {
    return this.clients.get(clientId)
  }

  /**
   * `POST /api/realtime`: replaces the client's whole subscription set and binds `auth`.
   * Errors, in PocketBase's order: 400 validation, 404 unknown client, 400 other IP, 403 auth change.
   * Like PocketBase only guest→auth upgrades are allowed: once bound, any other auth (including
   * none) is 403, so a leaked clientId cannot be re-pointed or downgraded by someone else.
   */
  /**
   * `headers` are those the client really sent with this request (names normalised as in rules): they,
   * not a topic's `options.headers` (a JSON value any gateway would let through), are what
   * `@request.headers.*` reads for this client's events.
   */
  setSubscriptions(clientId: unknown, rawTopics: unknown, auth: AuthInfo | null, ip: string, headers: Record<string, string> = {}): void {
    const req = parseSubscribeRequest(clientId, rawTopics)
    const client = this.clients.get(req.clientId)
    if (!client) throw notFound('Missing or invalid client id.')
    if (client.ip !== ip) throw new ApiError(400, 'Invalid realtime client.')
    if (client.authKey !== '' && client.authKey !== authKeyOf(auth)) {
      throw forbidden("The current and the previous request authorization don't match.")
    }
    this.bindAuth(client, auth)
    this.headerKeys.set(client, JSON.stringify(headers))
    const topics = req.topics.map((t) => ({ ...t, options: { ...t.options, headers: { ...headers } } }))
    this.indexTopics(client, () => client.setTopics(topics))
  }

  /**
   * Fans `event` out to every matching subscription. Never rejects; resolves once every send for this
   * event happened. Safe to call concurrently: everything that decides order happens synchronously
   * before the first await, and sends go through each client's queue.
   */
  dispatch(event: ChangeEvent): Promise<void> {
    try {
      this.applyAuthChange(event)
      const recordId = String(event.record.id)
      const keys = event.collectionId === event.collectionName ? [event.collectionId] : [event.collectionId, event.collectionName]
      // One authorizer call per (auth identity, topic) per event: 1,000 guests on `posts/*` cost one rule check.
      const memo = new Map<string, Promise<string | null>>()
      const sends: Promise<void>[] = []
      for (const key of keys) {
        if (key === '') continue // '' indexes custom topics (@oauth2), never record events
        for (const client of this.byCollection.get(key) ?? []) {
          for (const topic of client.byCollection.get(key) ?? []) {
            if (topic.recordId !== null && topic.recordId !== recordId) continue
            const headerKey = (this.opts.readsHeaders?.(event, topic) ?? true) ? `\n${this.headerKeys.get(client) ?? '{}'}` : ''
            const memoKey = `${client.authKey}\n${topic.raw}${headerKey}`
            let payload = memo.get(memoKey)
            if (!payload) {
              payload = this.payloadFor(client, topic, event)
              memo.set(memoKey, payload)
            }
            if (this.opts.beforeSend && this.opts.hasBeforeSend?.()) payload = this.withBeforeSend(client, topic.raw, payload)
            sends.push(client.enqueue(topic.raw, payload))
          }
        }
      }
      return Promise.all(sends).then(() => undefined)
    } catch (err) {
      this.onError(err, {})
      return Promise.resolve()
    }
  }

  private withBeforeSend(client: RealtimeClient, name: string, payload: Promise<string | null>): Promise<string | null> {
    return payload.then((data) => (data === null ? null : this.opts.beforeSend!(client, name, data))).catch((err) => {
      this.onError(err, { clientId: client.id, topic: name })
      return null
    })
  }

  /** Sends one message right away (e.g. `@oauth2`), bypassing the event queue. False if unknown or dropped. */
  sendTo(clientId: string, name: string, data: string): boolean {
    return this.clients.get(clientId)?.send(name, data) ?? false
  }

  /** Clients currently holding exactly this subscription string. */
  clientsSubscribedTo(topicRaw: string): RealtimeClient[] {
    const parsed = parseTopic(topicRaw)
    if (!parsed.topic) return []
    const set = this.byCollection.get(parsed.topic.collection)
    return set ? [...set].filter((c) => c.hasTopic(topicRaw)) : []
  }

  /** Removes one subscription (the OAuth2 redirect does this after delivering `@oauth2`). */
  unsubscribe(clientId: string, topicRaw: string): boolean {
    const client = this.clients.get(clientId)
    if (!client?.hasTopic(topicRaw)) return false
    this.indexTopics(client, () => client.removeTopic(topicRaw))
    return true
  }

  /**
   * Reverts matching clients to guest, silently (PocketBase behaviour). Call it when an auth
   * collection's token secret changes (omit recordId) — record tokenKey changes and deletes are
   * detected by `dispatch` itself.
   */
  invalidateAuth(collectionId: string, recordId?: string): void {
    for (const set of [...this.byAuth.values()]) {
      for (const client of [...set]) {
        const auth = client.auth
        if (auth?.collection.id === collectionId && (recordId === undefined || String(auth.record.id) === recordId)) {
          this.bindAuth(client, null)
        }
      }
    }
  }

  disconnect(clientId: string): void {
    this.clients.get(clientId)?.close('disconnect')
  }

  closeAll(): void {
    for (const client of [...this.clients.values()]) client.close('shutdown')
  }

  private async payloadFor(client: Client, topic: Topic, event: ChangeEvent): Promise<string | null> {
    try {
      const record = await this.authorize(client.auth, topic, event)
      return record === null ? null : JSON.stringify({ action: event.action, record })
    } catch (err) {
      this.onError(err, { clientId: client.id, topic: topic.raw })
      return null
    }
  }

  /** Applied before authorizing anything for this event, so a revoked auth never sees it. */
  private applyAuthChange(event: ChangeEvent): void {
    if (event.action === 'create') return
    const set = this.byAuth.get(`${event.collectionId}/${String(event.record.id)}`)
    if (!set) return
    for (const client of [...set]) {
      if (event.action === 'delete' || client.tokenKey !== event.record.tokenKey) this.bindAuth(client, null)
      else if (client.auth) client.auth = { collection: client.auth.collection, record: event.record } // fresh for rules
    }
  }

  private bindAuth(client: Client, auth: AuthInfo | null): void {
    removeFrom(this.byAuth, client.authKey, client)
    client.bind(auth)
    if (client.authKey !== '') addTo(this.byAuth, client.authKey, client)
  }

  private indexTopics(client: Client, change: () => void): void {
    for (const key of client.byCollection.keys()) removeFrom(this.byCollection, key, client)
    change()
    for (const key of client.byCollection.keys()) addTo(this.byCollection, key, client)
  }

  private unregister(client: Client, reason: CloseReason): void {
    if (this.clients.get(client.id) !== client) return
    this.clients.delete(client.id)
    for (const key of client.byCollection.keys()) removeFrom(this.byCollection, key, client)
    removeFrom(this.byAuth, client.authKey, client)
    try {
      this.opts.onClose?.(client, reason)
    } catch (err) {
      this.onError(err, { clientId: client.id })
    }
  }
}

function addTo<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  const set = map.get(key)
  if (set) set.add(value)
  else map.set(key, new Set([value]))
}

function removeFrom<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  const set = map.get(key)
  if (set?.delete(value) && set.size === 0) map.delete(key)
}
