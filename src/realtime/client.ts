// One connected realtime client: its transport, bound auth, topics, ordered send queue and timers.
import type { AuthInfo } from '../rules/request-info.ts'
import type { RealtimeClient, Topic, Transport } from './types.ts'

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

// Resolved lazily so vitest fake timers installed after construction still apply.
export const systemTimers: Timers = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms)
    t.unref?.() // an idle realtime client must never keep the process alive
    return t
  },
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
}

export interface ClientDeps {
  now: () => number
  timers: Timers
  idleTimeoutMs: number
  maxLifetimeMs: number
  maxPending: number
  /** Called once when the client closes for any reason; the hub unregisters it there. */
  onClose: (client: Client, reason: CloseReason) => void
  /** Shared delivery counters of the hub (read by /api/metrics). */
  stats: DeliveryStats
}

/** Messages written to client streams, and messages lost (slow client dropped, stream already closed). */
export interface DeliveryStats {
  delivered: number
  dropped: number
}

export type CloseReason = 'disconnect' | 'idle' | 'lifetime' | 'slow' | 'shutdown'

/** Auth identity key: equal keys see identical authorizer results (memoization, binding checks). */
export function authKeyOf(auth: AuthInfo | null): string {
  return auth ? `${auth.collection.id}/${String(auth.record.id)}` : ''
}

export class Client implements RealtimeClient {
  auth: AuthInfo | null = null
  authKey = ''
  /** tokenKey of the bound auth record when bound; a change means its tokens were revoked. */
  tokenKey: unknown = undefined
  readonly connectedAt: number
  /** Topics by the collection id/name the client wrote; custom topics under ''. */
  byCollection = new Map<string, Topic[]>()
  private all = new Map<string, Topic>()
  private tail: Promise<void> = Promise.resolve()
  private pending = 0
  private lastSentAt: number
  private idleTimer: unknown
  private lifetimeTimer: unknown
  closed = false

  constructor(readonly id: string, readonly ip: string, private transport: Transport, private deps: ClientDeps) {
    this.connectedAt = this.lastSentAt = deps.now()
    this.armIdle(deps.idleTimeoutMs)
    this.lifetimeTimer = deps.timers.setTimeout(() => this.close('lifetime'), deps.maxLifetimeMs)
  }

  get topics(): readonly Topic[] {
    return [...this.all.values()]
  }

  hasTopic(raw: string): boolean {
    return this.all.has(raw)
  }

  setTopics(topics: Topic[]): void {
    this.all = new Map(topics.map((t) => [t.raw, t]))
    this.byCollection = new Map()
    for (const t of topics) {
      const list = this.byCollection.get(t.collection)
      if (list) list.push(t)
      else this.byCollection.set(t.collection, [t])
    }
  }

  removeTopic(raw: string): Topic | undefined {
    const t = this.all.get(raw)
    if (t) this.setTopics([...this.all.values()].filter((x) => x !== t))
    return t
  }

  bind(auth: AuthInfo | null): void {
    this.auth = auth
    this.authKey = authKeyOf(auth)
    this.tokenKey = auth?.record.tokenKey
  }

  /** Writes now; a full buffer or a throwing transport drops the client instead of buffering more. */
  send(name: string, data: string): boolean {
    if (this.closed) {
      this.deps.stats.dropped++
      return false
    }
    let ok: boolean
    try {
      ok = this.transport.send(name, data)
    } catch {
      ok = false
    }
    if (!ok) {
      this.deps.stats.dropped++
      this.close('slow')
      return false
    }
    this.deps.stats.delivered++
    this.lastSentAt = this.deps.now()
    return true
  }

  /**
   * Queues a send behind this client's earlier events so it never sees them out of order, while the
   * payload (`data`, already being computed concurrently) is awaited only when its turn comes.
   * `data` must never reject. Too many queued events means the client (or the authorizer) cannot keep
   * up: drop it, the SDK reconnects and resubscribes.
   */
  enqueue(name: string, data: Promise<string | null>): Promise<void> {
    if (this.closed) return Promise.resolve()
    if (this.pending >= this.deps.maxPending) {
      this.deps.stats.dropped++
      this.close('slow')
      return Promise.resolve()
    }
    this.pending++
    const next = this.tail
      .then(() => data)
      .then((payload) => {
        if (payload !== null) this.send(name, payload)
      })
      .catch(() => {}) // send already contains transport errors; never break the chain
      .finally(() => {
        this.pending--
      })
    this.tail = next
    return next
  }

  close(reason: CloseReason): void {
    if (this.closed) return
    this.closed = true
    this.deps.timers.clearTimeout(this.idleTimer)
    this.deps.timers.clearTimeout(this.lifetimeTimer)
    try {
      this.transport.close()
    } catch {
      // the connection is gone either way
    }
    this.deps.onClose(this, reason)
  }

  // One timer per client that re-arms for the remaining time, instead of clear+set on every send.
  private armIdle(ms: number): void {
    this.idleTimer = this.deps.timers.setTimeout(() => {
      const idleFor = this.deps.now() - this.lastSentAt
      if (idleFor >= this.deps.idleTimeoutMs) this.close('idle')
      else this.armIdle(this.deps.idleTimeoutMs - idleFor)
    }, ms)
  }
}
