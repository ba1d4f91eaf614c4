// System collections of webhooks: `_webhooks` (endpoints) and `_webhookDeliveries` (the delivery log).
// Superuser-only (all rules locked), managed through the records API like any collection.
import { formatDate } from '../../core/clock.ts'
import { idField, makeField, timestampFields } from '../../core/collections/auth-defaults.ts'
import type { Collection } from '../../core/collections/types.ts'

export const WEBHOOKS_ID = 'pbc_3110000001'
export const WEBHOOKS_NAME = '_webhooks'
export const WEBHOOK_DELIVERIES_ID = 'pbc_3110000002'
export const WEBHOOK_DELIVERIES_NAME = '_webhookDeliveries'

/** One or more `whsec_<base64>` secrets separated by spaces: every one signs (rotation overlap). */
export const SECRETS_PATTERN = '^whsec_[A-Za-z0-9+/]+={0,2}( whsec_[A-Za-z0-9+/]+={0,2})*$'

/** The endpoint's circuit breaker (circuit.ts), kept on the endpoint so superusers see (and can reset) it. */
const CIRCUIT_FIELDS = () => [
  makeField('select', 'circuit', { values: ['closed', 'open', 'half-open'], maxSelect: 1 }),
  makeField('number', 'failures', { onlyInt: true }),
  makeField('date', 'openUntil'),
]

const locked = { listRule: null, viewRule: null, createRule: null, updateRule: null, deleteRule: null }

export function webhooksCollection(now: Date): Collection {
  return {
    id: WEBHOOKS_ID, name: WEBHOOKS_NAME, type: 'base', system: true,
    fields: [
      idField(),
      makeField('url', 'url', { required: true }),
      makeField('json', 'collections', { maxSize: 10_000 }),
      makeField('json', 'events', { maxSize: 10_000 }),
      // A rule-language expression on the event's record (filter.ts); empty = every record.
      makeField('text', 'filter', { max: 3500 }),
      makeField('text', 'secret', { required: true, max: 2000, pattern: SECRETS_PATTERN }),
      makeField('bool', 'active'),
      ...CIRCUIT_FIELDS(),
      ...timestampFields(),
    ],
    indexes: [],
    ...locked,
    created: formatDate(now), updated: formatDate(now),
  }
}

export function webhookDeliveriesCollection(now: Date): Collection {
  return {
    id: WEBHOOK_DELIVERIES_ID, name: WEBHOOK_DELIVERIES_NAME, type: 'base', system: true,
    fields: [
      idField(),
      makeField('relation', 'webhook', { collectionId: WEBHOOKS_ID, maxSelect: 1, cascadeDelete: true }),
      makeField('text', 'eventId'),
      makeField('text', 'eventType'),
      makeField('select', 'status', { values: ['success', 'failed'], maxSelect: 1 }),
      makeField('number', 'attempt'),
      makeField('number', 'responseStatus'),
      makeField('number', 'latencyMs'),
      makeField('text', 'response'),
      makeField('text', 'error'),
      ...timestampFields(),
    ],
    indexes: [`CREATE INDEX idx_webhookDeliveries_webhook ON ${WEBHOOK_DELIVERIES_NAME} (webhook, created)`],
    ...locked,
    created: formatDate(now), updated: formatDate(now),
  }
}
