// RabbitMQ publisher: an EventSink on a durable topic exchange, resolved only after publisher confirms.
import type { ChannelModel, ConfirmChannel } from 'amqplib'
import type { CloudEvent, EventSink } from '../cloudevents.ts'
import { isSystemCollectionEvent, routeOf } from './route.ts'

export interface AmqpPublisherOptions {
  url: string
  /** Routing keys: `<prefix>.<collection>.<action>`, `<prefix>.app.<type>`. */
  prefix: string
  /** Durable topic exchange, declared when missing. */
  exchange: string
}

export class AmqpPublisher implements EventSink {
  readonly name: string
  private conn: Promise<{ model: ChannelModel; ch: ConfirmChannel }> | null = null

  constructor(private readonly o: AmqpPublisherOptions) {
    this.name = `amqp:${o.exchange}`
  }

  async deliver(events: CloudEvent[]): Promise<void> {
    const { ch } = await this.connection()
    for (const e of events) {
      if (isSystemCollectionEvent(e)) continue // credentials stay inside Basalt
      ch.publish(this.o.exchange, routeOf(this.o.prefix, e).join('.'), Buffer.from(JSON.stringify(e)), {
        persistent: true, messageId: e.id, type: e.type, contentType: 'application/cloudevents+json', timestamp: Math.floor(Date.parse(e.time) / 1000) || undefined,
      })
    }
    // One confirm round trip per batch: resolves once the broker took responsibility for every message.
    await ch.waitForConfirms()
  }

  async close(): Promise<void> {
    const c = this.conn
    this.conn = null
    if (c) await c.then(({ model }) => model.close(), () => {}).catch(() => {})
  }

  /** Connects on first use; a closed or failed connection is re-opened by the next delivery. */
  private connection() {
    this.conn ??= (async () => {
      const { default: amqp } = await import('amqplib') // loaded only when RabbitMQ is configured
      const model = await amqp.connect(this.o.url)
      const reset = () => { this.conn = null }
      model.on('error', reset)
      model.on('close', reset)
      const ch = await model.createConfirmChannel()
      ch.on('error', reset)
      await ch.assertExchange(this.o.exchange, 'topic', { durable: true })
      return { model, ch }
    })().catch((err) => { this.conn = null; throw err })
    return this.conn
  }
}
