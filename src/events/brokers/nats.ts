// NATS JetStream publisher: an EventSink that resolves only after JetStream stored every event.
import type { JetStreamClient, NatsConnection } from 'nats'
import type { CloudEvent, EventSink } from '../cloudevents.ts'
import { isSystemCollectionEvent, routeOf } from './route.ts'

/** The NATS subject of an event (dot-separated tokens). */
export const natsSubject = (prefix: string, e: CloudEvent) => routeOf(prefix, e).join('.')

export interface NatsPublisherOptions {
  url: string
  /** Subject prefix: record events go to `<prefix>.<collection>.<action>`, custom ones to `<prefix>.app.<type>`. */
  prefix: string
  /** JetStream stream capturing `<prefix>.>`; created when missing. */
  stream: string
}

export class NatsPublisher implements EventSink {
  readonly name: string
  private conn: Promise<{ nc: NatsConnection; js: JetStreamClient; headers: typeof import('nats').headers }> | null = null

  constructor(private readonly o: NatsPublisherOptions) {
    this.name = `nats:${o.stream}`
  }

  async deliver(events: CloudEvent[]): Promise<void> {
    const { js, headers } = await this.connection()
    // Sequential awaits keep the stream's order equal to the outbox order. The message id lets
    // JetStream drop a redelivery (after a crash between publish and cursor advance) within its
    // duplicate window.
    for (const e of events) {
      if (isSystemCollectionEvent(e)) continue // credentials stay inside Basalt
      const h = headers()
      h.set('Content-Type', 'application/cloudevents+json')
      h.set('ce-id', e.id)
      h.set('ce-type', e.type)
      await js.publish(natsSubject(this.o.prefix, e), JSON.stringify(e), { msgID: e.id, headers: h })
    }
  }

  async close(): Promise<void> {
    const c = this.conn
    this.conn = null
    if (c) await c.then(({ nc }) => nc.drain(), () => {})
  }

  /** Connects on first use (a broker that is down at start does not stop Basalt); reconnects after a failure. */
  private connection() {
    this.conn ??= (async () => {
      // The client library loads only when NATS is configured and first used.
      const { connect, headers } = await import('nats')
      const nc = await connect({ servers: this.o.url, name: 'basalt-events', maxReconnectAttempts: -1 })
      const jsm = await nc.jetstreamManager()
      const subjects = [`${this.o.prefix}.>`]
      try {
        await jsm.streams.info(this.o.stream)
      } catch {
        await jsm.streams.add({ name: this.o.stream, subjects })
      }
      return { nc, js: nc.jetstream({ timeout: 5000 }), headers }
    })().catch((err) => { this.conn = null; throw err })
    return this.conn
  }
}
