// MQTT → jobs: each QoS 1 message on a configured topic filter becomes a durable job. The PUBACK is sent
// only once the job is committed, and the session is persistent, so a crash between the two makes the
// server redeliver the message when the consumer reconnects (never loses it).
import type { MqttClient } from 'mqtt'
import type { JobQueue } from '../../jobs/queue.ts'
import { bodyOf, type ConsumeRoute } from './consume-routes.ts'

/** What a consumed MQTT message's job receives as its payload. */
export interface MqttConsumedMessage {
  topic: string
  /** The body parsed as JSON, or the text when it is not JSON. */
  data: unknown
  /** MQTT 5 user property `message-id` (else `ce-id`, as Basalt's publisher sets); '' when absent. */
  messageId: string
}

export interface MqttConsumerOptions {
  url: string
  routes: ConsumeRoute[]
  jobs: JobQueue
  /** Client id of the persistent session: stable across restarts, distinct per node. */
  clientId: string
  onError: (err: unknown) => void
  /** Reconnect period. */
  retryMs?: number
}

/** Does `topic` match `filter` (`+` one level, `#` the rest; a `$share/<group>/` prefix is not part of it)? */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.replace(/^\$share\/[^/]+\//, '').split('/')
  const t = topic.split('/')
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true
    if (i >= t.length || (f[i] !== '+' && f[i] !== t[i])) return false
  }
  return f.length === t.length
}

interface PublishPacket { properties?: { userProperties?: Record<string, string | string[]>; subscriptionIdentifier?: number | number[] } }

const userProperty = (packet: PublishPacket, name: string): string => {
  const v = packet.properties?.userProperties?.[name]
  return typeof v === 'string' ? v : Array.isArray(v) ? (v[0] ?? '') : ''
}

export class MqttConsumer {
  private client: MqttClient | null = null
  private starting: Promise<void> = Promise.resolve()
  private stopped = false

  constructor(private readonly o: MqttConsumerOptions) {}

  start(): void {
    // The client library (~25 MB) loads only when MQTT consumption is configured.
    this.starting = import('mqtt').then(({ default: mqtt }) => {
      if (this.stopped) return
      const client = mqtt.connect(this.o.url, {
        protocolVersion: 5, clientId: this.o.clientId, clean: false,
        // The session (subscriptions and unacknowledged messages) outlives a restart by up to a week.
        properties: { sessionExpiryInterval: 7 * 24 * 3600 },
        reconnectPeriod: this.o.retryMs ?? 2000, connectTimeout: 5000,
        customHandleAcks: (topic, message, packet, ack) => void this.handle(topic, message, packet).then((ok) => { if (ok) ack(0) }),
      })
      client.on('error', (err) => this.o.onError(err))
      // Subscribing on every connect is harmless (the session keeps them anyway) and covers a lost session.
      client.on('connect', () => {
        client.subscribeAsync(Object.fromEntries(this.o.routes.map((r, i) => [r.source, { qos: 1 as const, properties: { subscriptionIdentifier: i + 1 } }])))
          .catch((err) => this.o.onError(err))
      })
      this.client = client
    }).catch((err) => this.o.onError(err))
  }

  async close(): Promise<void> {
    this.stopped = true
    await this.starting
    const c = this.client
    this.client = null
    // Without waiting for in-flight acks: a message whose job was not committed is redelivered next session.
    if (c) await c.endAsync(true).catch(() => {})
  }

  /** Enqueues the message's job(s); retries while the database refuses; false once stopped (no PUBACK). */
  private async handle(topic: string, message: Buffer, packet: PublishPacket): Promise<boolean> {
    const ids = packet.properties?.subscriptionIdentifier
    const byId = (Array.isArray(ids) ? ids : ids ? [ids] : []).map((i) => this.o.routes[i - 1]).filter(Boolean)
    const routes = byId.length ? byId : this.o.routes.filter((r) => topicMatches(r.source, topic))
    const messageId = userProperty(packet, 'message-id') || userProperty(packet, 'ce-id')
    const payload: MqttConsumedMessage = { topic, data: bodyOf(message), messageId }
    for (let wait = 100; ; wait = Math.min(wait * 2, 5000)) {
      if (this.stopped) return false
      try {
        // Enqueues of one event-loop turn commit together; the unique key makes a redelivery a no-op while queued.
        await Promise.all(routes.map((r) => this.o.jobs.enqueue(r.job, payload, messageId ? { uniqueKey: `mqtt:${messageId}` } : {})))
        return true
      } catch (err) {
        this.o.onError(err)
        await new Promise((r) => setTimeout(r, wait).unref())
      }
    }
  }
}
