// Realtime contracts: change events, parsed topics, the authorizer port and the broker port.
import type { AuthInfo, RecordData } from '../rules/request-info.ts'

/** A committed record change. Publish it only AFTER the write committed (deletes: after the delete committed). */
export interface ChangeEvent {
  action: 'create' | 'update' | 'delete'
  collectionId: string
  collectionName: string
  /**
   * Full stored record, including hidden fields and `tokenKey`: the authorizer decides what a
   * client sees, and the hub compares `tokenKey` to invalidate realtime auth bound to this record.
   * Must be JSON-safe (brokers other than memory serialize it).
   */
  record: RecordData
  /** Optional monotonically increasing id for ordering/dedupe across nodes. */
  seq?: number
}

export interface TopicOptions {
  /** `@request.query.*` for rules plus `filter`, `expand`, `fields`; values are strings. */
  query: Record<string, string>
  /** `@request.headers.*`: names lower-cased with `-` replaced by `_`; values are strings. */
  headers: Record<string, string>
}

export interface Topic {
  /** The exact subscription string as submitted; it is also the SSE event name. */
  raw: string
  /** Collection id or name as written by the client; `''` for custom topics such as `@oauth2`. */
  collection: string
  /** `null` = every record of the collection (`posts/*` or bare `posts`). */
  recordId: string | null
  options: TopicOptions
}

/**
 * Decides what an auth (or guest) may see of `event` under `topic`: returns the JSON-ready record
 * (list/view rule, `filter`, `expand`, `fields`, email visibility, hidden fields applied) or null to
 * send nothing. Per-record topics use the view rule, `*` topics the list rule. May throw; a throw is
 * treated as null (and reported to the hub's `onError`).
 */
export type Authorizer = (auth: AuthInfo | null, topic: Topic, event: ChangeEvent) => Promise<object | null>

/**
 * Moves ChangeEvents between the writers and every node's hub.
 *
 * Promised: every subscriber registered when `publish` is called receives each event at most once,
 * in publish order per publisher; `publish` never waits for subscribers to run; a throwing
 * subscriber does not affect others or the publisher; no delivery after `unsubscribe()` or after
 * `close()` resolved; `publish` after `close()` rejects.
 *
 * NOT promised: durability (memory is in-process only and loses everything on exit); delivery
 * (at-most-once: an event may be lost, e.g. while a network broker reconnects — hubs should close
 * affected streams so clients resync); ordering between different publishers or nodes (use `seq`);
 * object identity (subscribers may receive a copy).
 */
/** A node-to-node message channel (realtime requests relayed to the node holding a client's stream). */
export interface SideChannel {
  readonly nodeId: string
  notify(name: string, data: string): Promise<void>
  onNotify(name: string, handler: (data: string) => void): () => void
  /** Resolves true once the channel delivers, false if `timeoutMs` passed first. */
  ready?(timeoutMs?: number): Promise<boolean>
}

/**
 * What a broker can do beyond the contract, declared as data so callers check abilities, not classes:
 * `gaps` reports possible event loss (hubs then close streams so clients resync); `sideChannel`
 * reaches other nodes. The in-process broker has neither.
 */
export interface BrokerCapabilities {
  gaps?: { onGap(handler: (info: { reason: string }) => void): () => void }
  sideChannel?: SideChannel
}

export interface Broker {
  readonly capabilities: BrokerCapabilities
  publish(event: ChangeEvent): Promise<void>
  /** Returns an idempotent unsubscribe function. */
  subscribe(handler: (e: ChangeEvent) => void): () => void
  close(): Promise<void>
}

/** What the hub needs from a connection; SSE today, WebSocket later. */
export interface Transport {
  /** Called once with the new client's id, before the first send (SSE writes it in every `id:` line). */
  attach?(clientId: string): void
  /** Writes one message; false = the connection's buffer is full (the hub then drops the client). */
  send(name: string, data: string): boolean
  /** Ends the connection; must be idempotent. */
  close(): void
}

/** Read-only view of a connected realtime client. */
export interface RealtimeClient {
  readonly id: string
  readonly ip: string
  readonly auth: AuthInfo | null
  readonly connectedAt: number
  readonly topics: readonly Topic[]
  hasTopic(raw: string): boolean
}
