// CloudEvents 1.0 (JSON format) view of outbox events, and the contract every event sink implements.
// Webhooks, NATS, RabbitMQ and MQTT all receive the same envelope, so a consumer can switch transport
// without re-parsing: https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/formats/json-format.md
import type { OutboxEvent } from './outbox.ts'

export interface CloudEvent {
  specversion: '1.0'
  /** The outbox event id: stable across redeliveries, the receiver's idempotency key. */
  id: string
  /** `basalt://<appName or host>/collections/<collectionName>` for record events, `…/app` for custom ones. */
  source: string
  /** `basalt.record.create` | `basalt.record.update` | `basalt.record.delete` | a custom type as emitted. */
  type: string
  /** The record id for record events (also the per-record ordering key), the custom subject otherwise. */
  subject?: string
  time: string
  datacontenttype: 'application/json'
  data: unknown
  /** Extension attribute: commit-ordered position in the outbox (lower-case alphanumerics per the spec). */
  basaltseq: number
  /** Extension attribute: the collection name for record events (routing without parsing `source`). */
  basaltcollection?: string
}

/** Record events are namespaced; custom types emitted by app code keep the name the app gave them. */
export function cloudEventType(outboxType: string): string {
  return outboxType.startsWith('record.') ? `basalt.${outboxType}` : outboxType
}

export function toCloudEvent(e: OutboxEvent, appSource: string): CloudEvent {
  const isRecord = e.type.startsWith('record.')
  const ce: CloudEvent = {
    specversion: '1.0',
    id: e.id,
    source: isRecord ? `${appSource}/collections/${e.collectionName}` : `${appSource}/app`,
    type: cloudEventType(e.type),
    time: toRfc3339(e.created),
    datacontenttype: 'application/json',
    data: isRecord ? withoutSecrets(e.data) : e.data,
    basaltseq: e.seq,
  }
  if (e.subject) ce.subject = e.subject
  if (e.collectionName) ce.basaltcollection = e.collectionName
  return ce
}

/** Auth records' password hash and token key never leave the server, whatever the sink. */
function withoutSecrets(data: unknown): unknown {
  if (!data || typeof data !== 'object' || Array.isArray(data)) return data
  const { password: _password, tokenKey: _tokenKey, ...rest } = data as Record<string, unknown>
  return rest
}

/** Outbox dates are PocketBase-style `2006-01-02 15:04:05.000Z`; CloudEvents wants RFC 3339. */
function toRfc3339(created: string): string {
  return created.includes('T') ? created : created.replace(' ', 'T')
}

/**
 * A destination of the event dispatcher (webhooks, a broker publisher). `deliver` resolves only once
 * the destination durably accepted every event of the batch (broker ack / 2xx); a rejection makes the
 * dispatcher retry the same batch later, so delivery is at least once, in outbox order per sink.
 */
export interface EventSink {
  /** Unique and stable: it names the sink's cursor in `_eventCursors`. */
  readonly name: string
  deliver(events: CloudEvent[]): Promise<void>
  close?(): Promise<void>
}
