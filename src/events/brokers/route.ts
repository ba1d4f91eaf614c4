// Where a broker message goes: the same tokens for NATS subjects, AMQP routing keys and MQTT topics.
import type { CloudEvent } from '../cloudevents.ts'

/**
 * `[...prefix, collection, action]` for record events, `[...prefix, 'app', ...type parts]` for custom
 * ones. Only letters, digits, `_` and `-` survive in a token: wildcard and separator characters of any
 * of the three brokers (`. * > # + /`) cannot reach a subscriber's pattern.
 */
export function routeOf(prefix: string, e: CloudEvent): string[] {
  const token = (s: string) => s.replace(/[^A-Za-z0-9_-]/g, '_') || '_'
  const head = prefix.split('.').map(token)
  if (e.type.startsWith('basalt.record.') && e.basaltcollection) return [...head, token(e.basaltcollection), token(e.type.slice('basalt.record.'.length))]
  return [...head, 'app', ...e.type.split('.').map(token)]
}

/** System collections (`_superusers`, `_otps`, `_mfas`, …) hold credentials: their events are not published. */
export function isSystemCollectionEvent(e: CloudEvent): boolean {
  return !!e.basaltcollection?.startsWith('_')
}
