// NATS JetStream → jobs: each message on a configured subject becomes a durable job, acknowledged to
// JetStream only once the job is committed, so a crash between the two redelivers (never loses) it.
import type { ConsumerMessages, NatsConnection } from 'nats'
import type { JobQueue } from '../../jobs/queue.ts'

export interface NatsConsumeRoute {
  /** A subject or wildcard (`orders.*`, `orders.>`) captured by an existing JetStream stream. */
  subject: string
  /** The job each message is enqueued as (define its handler with `app.jobs.define`). */
  job: string
}

/** `orders.*=>handleOrder, payments.>=>recordPayment` → routes; throws a message naming the bad part. */
export function parseConsumeRoutes(raw: string): NatsConsumeRoute[] {
  return raw.split(',').map((s) => s.trim()).filter(Boolean).map((part) => {
    const m = /^([A-Za-z0-9_\-*>.]+)\s*=>\s*([A-Za-z0-9_.:-]+)$/.exec(part)
    if (!m) throw new Error(`BASALT_EVENTS_NATS_CONSUME: "${part}" is not SUBJECT=>JOB`)
    return { subject: m[1], job: m[2] }
  })
}

/** What a consumed message's job receives as its payload. */
export interface ConsumedMessage {
  subject: string
  /** The body parsed as JSON, or the text when it is not JSON. */
  data: unknown
  /** `Nats-Msg-Id` when the publisher set one, else `<stream>:<stream sequence>`. */
  messageId: string
}

export interface NatsConsumerOptions {
  url: string
  routes: NatsConsumeRoute[]
  jobs: JobQueue
  onError: (err: unknown, route: NatsConsumeRoute) => void
  /** Wait between attempts to (re)attach a route whose stream or server is missing. */
  retryMs?: number
}

export class NatsConsumer {
  private nc: Promise<NatsConnection> | null = null
  private readonly active = new Set<ConsumerMessages>()
  private stopped = false
  private readonly loops: Promise<void>[] = []

  constructor(private readonly o: NatsConsumerOptions) {}

  start(): void {
    for (const route of this.o.routes) this.loops.push(this.run(route))
  }

  async close(): Promise<void> {
    this.stopped = true
    for (const m of this.active) m.stop()
    await Promise.all(this.loops)
    const nc = this.nc
    this.nc = null
    if (nc) await nc.then((c) => c.drain(), () => {}).catch(() => {})
  }

  private connection(): Promise<NatsConnection> {
    // The client library loads only when a consume route is configured (config.ts imports this module).
    this.nc ??= import('nats').then(({ connect }) => connect({ servers: this.o.url, name: 'basalt-consumer', maxReconnectAttempts: -1 }))
      .catch((err) => { this.nc = null; throw err })
    return this.nc
  }

  /** Attaches a durable consumer for the route and enqueues its messages, re-attaching after failures. */
  private async run(route: NatsConsumeRoute): Promise<void> {
    const durable = `basalt_${route.job.replace(/[^A-Za-z0-9_-]/g, '_')}`
    while (!this.stopped) {
      try {
        const nc = await this.connection()
        const { AckPolicy, DeliverPolicy } = await import('nats')
        const jsm = await nc.jetstreamManager()
        const stream = await jsm.streams.find(route.subject)
        await jsm.consumers.info(stream, durable).catch(() => jsm.consumers.add(stream, {
          durable_name: durable, filter_subject: route.subject, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All,
        }))
        const consumer = await nc.jetstream().consumers.get(stream, durable)
        const messages = await consumer.consume({ max_messages: 100 })
        this.active.add(messages)
        try {
          for await (const m of messages) {
            const messageId = m.headers?.get('Nats-Msg-Id') || `${stream}:${m.seq}`
            let data: unknown = m.string()
            try { data = JSON.parse(data as string) } catch { /* kept as text */ }
            const payload: ConsumedMessage = { subject: m.subject, data, messageId }
            // The unique key makes a redelivery that arrives while the first job is still queued a no-op.
            await this.o.jobs.enqueue(route.job, payload, { uniqueKey: `nats:${messageId}` })
            m.ack()
          }
        } finally {
          this.active.delete(messages)
        }
      } catch (err) {
        if (this.stopped) return
        this.o.onError(err, route)
      }
      if (!this.stopped) await new Promise((r) => setTimeout(r, this.o.retryMs ?? 2000).unref())
    }
  }
}
