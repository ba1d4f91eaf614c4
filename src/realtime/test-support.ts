// Test doubles for the realtime layer: a recording transport, auth builders and events.
import type { Collection } from '../core/collections/types.ts'
import type { AuthInfo, RecordData } from '../rules/request-info.ts'
import type { ChangeEvent, Transport } from './types.ts'

export interface Sent {
  name: string
  data: string
}

export interface FakeTransport extends Transport {
  sent: Sent[]
  closed: boolean
  /** Make the next sends report a full buffer. */
  full: boolean
  events(name?: string): { action: string; record: Record<string, unknown> }[]
}

export function fakeTransport(): FakeTransport {
  const t: FakeTransport = {
    sent: [],
    closed: false,
    full: false,
    send(name, data) {
      if (t.full) return false
      t.sent.push({ name, data })
      return true
    },
    close() {
      t.closed = true
    },
    events(name) {
      return t.sent.filter((s) => s.name !== 'PB_CONNECT' && (name === undefined || s.name === name)).map((s) => JSON.parse(s.data))
    },
  }
  return t
}

const users = { id: '_pb_users_auth_', name: 'users', type: 'auth' } as Collection

export function userAuth(id: string, tokenKey = `tk-${id}`, collection: Collection = users): AuthInfo {
  return { collection, record: { id, tokenKey, email: `${id}@example.com` } }
}

export function change(action: ChangeEvent['action'], record: RecordData, collection = { id: 'pbc_posts', name: 'posts' }): ChangeEvent {
  return { action, collectionId: collection.id, collectionName: collection.name, record }
}

export const usersCollection = users

/** Resolves after every queued microtask and pending promise chain has had a chance to run. */
export const flush = () => new Promise<void>((r) => setImmediate(r))
