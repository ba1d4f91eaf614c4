// RabbitMQ → jobs: each message of a configured queue becomes a durable job, acknowledged to RabbitMQ
// only once the job is committed, so a crash between the two redelivers (never loses) it.
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib'
import type { JobQueue } from '../../jobs/queue.ts'
import { bodyOf, type ConsumeRoute } from './consume-routes.ts'

/** What a consumed RabbitMQ message's job receives as its payload. */
export interface AmqpConsumedMessage {
  queue: string
  /** The exchange and routing key it was published with ('' = the default exchange). */
  exchange: string
  routingKey: string
  /** The body parsed as JSON, or the text when it is not JSON. */
  data: unknown
  /** The publisher's `messageId` property ('' when it set none: then redeliveries are not deduplicated). */
  messageId: string
}

export interface AmqpConsumerOptions {
  url: string
  routes: ConsumeRoute[]
  jobs: JobQueue
  onError: (err: unknown) => void
  /** Wait before reconnecting after the connection failed or closed. */
  retryMs?: number
  /** Unacknowledged messages in flight per queue. */
  prefetch?: number
}

export class AmqpConsumer {
  private model: ChannelModel | null = null
  private stopped = false
  private timer: NodeJS.Timeout | null = null
  private connecting: Promise<void> | null = null

  constructor(private readonly o: AmqpConsumerOptions) {}

  start(): void { this.connecting = this.connect() }

  async close(): Promise<void> {
    this.stopped = true
    if (this.timer) clearTimeout(this.timer)
    await this.connecting
    const m = this.model
    this.model = null
    // Unacked messages go back to the queue when the connection closes: another node (or the next start) gets them.
    await m?.close().catch(() => {})
  }

  private async connect(): Promise<void> {
    try {
      const { default: amqp } = await import('amqplib') // loaded only when a consume route is configured
      const model = await amqp.connect(this.o.url)
      if (this.stopped) { await model.close().catch(() => {}); return }
      this.model = model
      let retried = false
      const retry = (err?: unknown) => {
        if (retried) return
        retried = true
        if (err) this.o.onError(err)
        if (this.model === model) this.model = null
        model.close().catch(() => {})
        this.scheduleReconnect()
      }
      model.on('error', retry)
      model.on('close', () => retry())
      for (const route of this.o.routes) await this.consume(model, route, retry)
    } catch (err) {
      this.o.onError(err)
      this.model?.close().catch(() => {})
      this.model = null
      this.scheduleReconnect()
    }
  }

  private scheduleReconnect() {
    if (this.stopped || this.timer) return
    this.timer = setTimeout(() => { this.timer = null; this.connecting = this.connect() }, this.o.retryMs ?? 2000)
    this.timer.unref()
  }

  /** The queue is used as it exists, or declared durable when missing (bind it to your exchanges). */
  private async consume(model: ChannelModel, route: ConsumeRoute, retry: (err?: unknown) => void): Promise<void> {
    const probe = await model.createChannel()
    probe.on('error', () => {})
    try {
      await probe.checkQueue(route.source)
      await probe.close()
    } catch {
      const declare = await model.createChannel()
      await declare.assertQueue(route.source, { durable: true })
      await declare.close()
    }
    const ch = await model.createChannel()
    ch.on('error', retry)
    await ch.prefetch(this.o.prefetch ?? 100)
    await ch.consume(route.source, (msg) => {
      if (!msg) return retry(new Error(`RabbitMQ cancelled the consumer of queue ${route.source}`))
      void this.handle(ch, route, msg)
    }, { noAck: false })
  }

  private async handle(ch: Channel, route: ConsumeRoute, msg: ConsumeMessage): Promise<void> {
    const messageId = typeof msg.properties.messageId === 'string' ? msg.properties.messageId : ''
    const payload: AmqpConsumedMessage = { queue: route.source, exchange: msg.fields.exchange, routingKey: msg.fields.routingKey, data: bodyOf(msg.content), messageId }
    try {
      // The unique key makes a redelivery that arrives while the first job is still queued a no-op.
      await this.o.jobs.enqueue(route.job, payload, messageId ? { uniqueKey: `amqp:${route.source}:${messageId}` } : {})
    } catch (err) {
      this.o.onError(err)
      try { ch.nack(msg, false, true) } catch { /* channel gone: the broker requeues it anyway */ }
      return
    }
    // A channel lost meanwhile: the broker redelivers the message and the job runs again (at least once).
    try { ch.ack(msg) } catch { /* see above */ }
  }
}
