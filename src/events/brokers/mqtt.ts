// MQTT publisher: an EventSink publishing with QoS 1 (resolved on each PUBACK), MQTT 5 properties.
import type { MqttClient } from 'mqtt'
import type { CloudEvent, EventSink } from '../cloudevents.ts'
import { isSystemCollectionEvent, routeOf } from './route.ts'

export interface MqttPublisherOptions {
  url: string
  /** Topics: `<prefix>/<collection>/<action>`, `<prefix>/app/<type parts>` (the prefix's dots become `/`). */
  prefix: string
  clientId: string
}

export class MqttPublisher implements EventSink {
  readonly name: string
  private client: Promise<MqttClient> | null = null

  constructor(private readonly o: MqttPublisherOptions) {
    this.name = `mqtt:${o.clientId}`
  }

  async deliver(events: CloudEvent[]): Promise<void> {
    const client = await this.connection()
    // Sequential QoS 1 publishes keep the topic's order equal to the outbox order.
    for (const e of events) {
      if (isSystemCollectionEvent(e)) continue // credentials stay inside Basalt
      await client.publishAsync(routeOf(this.o.prefix, e).join('/'), JSON.stringify(e), {
        qos: 1, properties: { contentType: 'application/cloudevents+json', userProperties: { 'ce-id': e.id, 'ce-type': e.type } },
      })
    }
  }

  async close(): Promise<void> {
    const c = this.client
    this.client = null
    if (c) await c.then((client) => client.endAsync(), () => {}).catch(() => {})
  }

  /** Connects on first use (no reconnect loop of its own: the dispatcher's retry reconnects). */
  private connection() {
    // The client library (~25 MB) loads only when MQTT is configured and first used.
    this.client ??= import('mqtt')
      .then(({ default: mqtt }) => mqtt.connectAsync(this.o.url, { protocolVersion: 5, clientId: this.o.clientId, reconnectPeriod: 0, connectTimeout: 5000 }))
      .then((client) => {
        client.on('close', () => { this.client = null })
        client.on('error', () => { this.client = null })
        return client
      }, (err) => { this.client = null; throw err })
    return this.client
  }
}
