// Webhooks: an event sink that turns each matching outbox event into a durable delivery job per
// endpoint, and the job that POSTs it signed per Standard Webhooks, logging every attempt.
import http from 'node:http'
import https from 'node:https'
import net from 'node:net'
import { Webhook } from 'standardwebhooks'
import { formatDate, type Clock } from '../../core/clock.ts'
import { newRecordId } from '../../core/ids.ts'
import type { JobQueue } from '../../jobs/queue.ts'
import { sql } from '../../store/sql.ts'
import type { Executor, Store } from '../../store/types.ts'
import { toCloudEvent, type CloudEvent, type EventSink } from '../cloudevents.ts'
import type { Outbox } from '../outbox.ts'
import { isSystemCollectionEvent } from '../brokers/route.ts'
import { BlockedAddressError, guardedLookup, isPrivateAddress } from './ssrf.ts'
import { filterMatches, validateWebhookFilter } from './filter.ts'
import { CircuitBreaker, DEFAULT_BREAKER, type BreakerOptions, type CircuitRow } from './circuit.ts'
import { DeferJob } from '../../jobs/defer.ts'
import { DeliveryLog } from './delivery-log.ts'
import { WEBHOOKS_NAME } from './collections.ts'
import type { SchemaLookup } from '../../core/collections/types.ts'
import type { HookRegistry } from '../../core/hooks/registry.ts'
import { badRequest, fieldError, notFound } from '../../core/errors.ts'
import { ErrorCode } from '../../core/error-codes.ts'

export const WEBHOOK_JOB = '__basaltWebhook__'
const RESPONSE_EXCERPT = 1024

export interface WebhooksOptions {
  store: Store
  jobs: JobQueue
  clock: Clock
  /** Collections, to evaluate webhook filters against the event's record. */
  schema: SchemaLookup
  /** Allow loopback/private targets (tests, internal receivers): BASALT_WEBHOOKS_ALLOW_PRIVATE. */
  allowPrivate: boolean
  /** One attempt's time limit. */
  timeoutMs?: number
  /** Attempts per delivery before it is dead-lettered (retried with the job queue's backoff). */
  maxAttempts?: number
  /** Deliveries in flight per node (default 32). */
  concurrency?: number
  /** Circuit breaker per endpoint (circuit.ts). */
  breaker?: BreakerOptions
  /** Where a replay finds an event whose delivery job was purged. */
  outbox?: Outbox
  /** CloudEvents `source` prefix (as the dispatcher's). */
  source?: () => string | Promise<string>
}

interface WebhookRow extends CircuitRow { url: string; collections: unknown; events: unknown; filter: string | null; secret: string; active: unknown }
interface DeliveryJob { webhookId: string; event: CloudEvent }

const asList = (v: unknown): string[] => {
  const parsed = typeof v === 'string' ? safeJson(v) : v
  return Array.isArray(parsed) ? parsed.filter((x): x is string => typeof x === 'string') : []
}
const safeJson = (s: string) => { try { return JSON.parse(s) } catch { return null } }
const isOn = (v: unknown) => v === true || v === 1 || v === '1' || v === 'true'

/** `events` lists actions (`create`, `update`, `delete`) and/or custom types; empty = every event. */
export function matches(hook: Pick<WebhookRow, 'collections' | 'events'>, e: CloudEvent): boolean {
  const collections = asList(hook.collections)
  const events = asList(hook.events)
  const action = e.type.startsWith('basalt.record.') ? e.type.slice('basalt.record.'.length) : e.type
  if (collections.length && !(e.basaltcollection && collections.includes(e.basaltcollection))) return false
  return !events.length || events.includes(action) || events.includes(e.type)
}

export class Webhooks implements EventSink {
  readonly name = 'webhooks'
  private readonly breaker: CircuitBreaker
  private readonly log: DeliveryLog
  /** Kept-alive connections per endpoint: no TCP (and TLS) handshake per delivery. */
  private readonly agents = { http: new http.Agent({ keepAlive: true, maxSockets: 64 }), https: new https.Agent({ keepAlive: true, maxSockets: 64 }) }

  constructor(private readonly o: WebhooksOptions) {
    const timeoutMs = (o.timeoutMs ?? 10_000) + 5000
    this.breaker = new CircuitBreaker(o.store, o.clock, o.breaker ?? DEFAULT_BREAKER, timeoutMs)
    this.log = new DeliveryLog(o.store)
    o.jobs.define<DeliveryJob>(WEBHOOK_JOB, (job) => this.send(job.payload, job.attempt), { maxAttempts: o.maxAttempts ?? 8, timeoutMs, concurrency: o.concurrency ?? 32 })
  }

  /** Closes idle kept-alive connections (deliveries still running finish on theirs). */
  async close(): Promise<void> {
    for (const agent of [this.agents.http, this.agents.https]) {
      for (const sockets of Object.values(agent.freeSockets)) for (const socket of sockets ?? []) socket.destroy()
    }
  }

  /** Enqueues one job per (endpoint, event) in one transaction: committed before the cursor moves. */
  async deliver(events: CloudEvent[]): Promise<void> {
    const wanted = events.filter((e) => !isSystemCollectionEvent(e))
    if (!wanted.length) return
    const hooks = (await this.o.store.all<WebhookRow>(sql`SELECT "id", "url", "collections", "events", "filter", "secret", "active" FROM "_webhooks"`)).filter((h) => isOn(h.active))
    if (!hooks.length) return
    await this.o.store.transaction(async (tx) => {
      for (const e of wanted) {
        for (const h of hooks) {
          if (matches(h, e) && (await this.passesFilter(tx, h, e))) await this.o.jobs.enqueue(WEBHOOK_JOB, { webhookId: h.id, event: e } satisfies DeliveryJob, { uniqueKey: `${h.id}:${e.id}` })
        }
      }
    })
  }

  /**
   * Sends the event of a logged delivery again: a new delivery job for the same endpoint and the same
   * event (same `webhook-id`), logged as new delivery rows. While a delivery of that event to that
   * endpoint is still queued or running, that job is returned instead of adding a second one.
   */
  async replay(deliveryId: string): Promise<string> {
    const d = await this.o.store.get<{ webhook: string; eventId: string }>(sql`SELECT "webhook", "eventId" FROM "_webhookDeliveries" WHERE "id" = ${deliveryId}`)
    if (!d) throw notFound('Missing webhook delivery.')
    const hook = await this.o.store.get<{ id: string; active: unknown }>(sql`SELECT "id", "active" FROM "_webhooks" WHERE "id" = ${d.webhook}`)
    if (!hook) throw notFound('Missing webhook delivery.')
    if (!isOn(hook.active)) throw badRequest('The webhook is inactive; activate it to replay its deliveries.')
    const event = await this.findEvent(d.webhook, d.eventId)
    if (!event) throw notFound('The event of this delivery is no longer retained (its job was purged and the outbox pruned).')
    return this.o.jobs.enqueue(WEBHOOK_JOB, { webhookId: d.webhook, event } satisfies DeliveryJob, { uniqueKey: `${d.webhook}:${d.eventId}` })
  }

  /** The exact envelope first delivered (from its job), else rebuilt from the outbox. */
  private async findEvent(webhookId: string, eventId: string): Promise<CloudEvent | undefined> {
    const job = await this.o.store.get<{ payload: string }>(sql`SELECT "payload" FROM "_jobs" WHERE "name" = ${WEBHOOK_JOB} AND "uniqueKey" = ${`${webhookId}:${eventId}`} ORDER BY "created" DESC LIMIT 1`)
    if (job) return (JSON.parse(job.payload) as DeliveryJob).event
    const e = this.o.outbox && (await this.o.outbox.get(eventId))
    return e && this.o.source ? toCloudEvent(e, await this.o.source()) : undefined
  }

  /** The webhook's filter, for record events (custom events have no record: `events` alone selects them). */
  private passesFilter(db: Executor, h: WebhookRow, e: CloudEvent): Promise<boolean> | boolean {
    if (!h.filter?.trim() || !e.type.startsWith('basalt.record.') || !e.basaltcollection) return true
    return filterMatches(h.filter, e.basaltcollection, e.data, { db, schema: this.o.schema, dialect: this.o.store.dialect })
  }

  /** One attempt: POST, log the attempt, throw on failure so the job queue retries with backoff. */
  private async send({ webhookId, event }: DeliveryJob, attempt: number): Promise<void> {
    const hook = await this.o.store.get<WebhookRow>(sql`SELECT "id", "url", "collections", "events", "secret", "active", "circuit", "failures", "openUntil"
      FROM "_webhooks" WHERE "id" = ${webhookId}`)
    if (!hook || !isOn(hook.active)) return // deleted or paused since: nothing to send
    const gate = await this.breaker.admit(hook)
    // Not an attempt: the job waits (its attempt given back) and nothing is logged.
    if (!gate.send) throw new DeferJob(gate.until, `circuit ${hook.circuit}: delivery deferred`)
    const body = JSON.stringify(event)
    const started = Date.now()
    let responseStatus = 0
    let response = ''
    let error = ''
    try {
      ({ status: responseStatus, text: response } = await this.post(hook, event, body))
      if (responseStatus < 200 || responseStatus > 299) error = `The endpoint answered ${responseStatus}.`
    } catch (err) {
      error = err instanceof BlockedAddressError ? err.message : `Request failed: ${(err as Error).message}`
    }
    await this.log.write({
      id: newRecordId(), webhook: hook.id, eventId: event.id, eventType: event.type, status: error ? 'failed' : 'success', attempt, responseStatus,
      latencyMs: Date.now() - started, response: response.slice(0, RESPONSE_EXCERPT), error, created: formatDate(this.o.clock.now()),
    })
    await this.breaker.record(hook, !error, gate.probe)
    if (error) throw new Error(error)
  }

  private post(hook: WebhookRow, event: CloudEvent, body: string): Promise<{ status: number; text: string }> {
    const url = new URL(hook.url)
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return Promise.reject(new Error('Only http and https webhook URLs are supported.'))
    const host = url.hostname.replace(/^\[|\]$/g, '')
    // Literal IPs skip DNS (and so the guarded lookup): check them here.
    if (net.isIP(host) && isPrivateAddress(host) && !this.o.allowPrivate) {
      return Promise.reject(new BlockedAddressError(`Webhook target ${host} is a private or loopback address; set BASALT_WEBHOOKS_ALLOW_PRIVATE=true to allow it.`))
    }
    const timestamp = this.o.clock.now()
    const signature = hook.secret.split(/\s+/).filter(Boolean).map((secret) => new Webhook(secret).sign(event.id, timestamp, body)).join(' ')
    const tls = url.protocol === 'https:'
    const request = tls ? https.request : http.request
    return new Promise((resolve, reject) => {
      const req = request(url, {
        // A kept-alive socket was connected through the guarded lookup when it was opened.
        method: 'POST', agent: tls ? this.agents.https : this.agents.http, lookup: guardedLookup(this.o.allowPrivate), timeout: this.o.timeoutMs ?? 10_000,
        headers: {
          'content-type': 'application/json', 'user-agent': 'Basalt-Webhooks',
          'webhook-id': event.id, 'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)), 'webhook-signature': signature,
        },
      }, (res) => {
        const chunks: Buffer[] = []
        let size = 0
        res.on('data', (c: Buffer) => { if (size < RESPONSE_EXCERPT) { chunks.push(c); size += c.length } })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }))
        res.on('error', reject)
      })
      req.on('timeout', () => req.destroy(new Error('timed out')))
      req.on('error', reject)
      req.end(body)
    })
  }
}

/** Saving a webhook with a filter that does not compile is a 400 with a field error on `filter`. */
export function bindWebhookValidation(hooks: HookRegistry, schema: SchemaLookup, store: Store): void {
  hooks.onRecordValidate.bind(async (e) => {
    const filter = e.record.get('filter')
    if (typeof filter === 'string' && filter.trim()) {
      const problem = validateWebhookFilter(filter, asList(e.record.get('collections')), { schema, dialect: store.dialect })
      if (problem) {
        throw badRequest(`Failed to ${e.type} record.`, { filter: fieldError(ErrorCode.invalidRule, `Invalid filter expression: ${problem}`) })
      }
    }
    await e.next()
  }, { id: '__basaltWebhookValidation__', tags: [WEBHOOKS_NAME] })
}
