// Redis pub/sub broker: local fan-out in-process, cross-node fan-out over one Redis channel, gap detection.
import { processLogger } from '../../observability/logger.ts'
import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import type { Broker, ChangeEvent, BrokerCapabilities } from '../types.ts'
import { MemoryBroker } from './memory.ts'
import { SequenceTracker, type GapInfo, type GapReason } from '../../cluster/sequence-tracker.ts'

export type { GapInfo } from '../../cluster/sequence-tracker.ts'

export interface RedisBrokerOptions {
  url: string
  /** Namespaces the channels (`basalt:<prefix>:events`, `…:<side>`); nodes of one cluster share it. */
  prefix?: string
  /** Unique per process; a restarted node must get a new one (its sequence numbers restart). */
  nodeId?: string
  /** Heartbeat period: bounds how late a lost trailing event or a dead subscriber is noticed. */
  heartbeatMs?: number
  /** Upper bound for one PUBLISH; local delivery never waits for it. */
  publishTimeoutMs?: number
  /** A subscriber threw or rejected; defaults to the process logger. */
  onError?: (err: unknown) => void
  /** Redis connectivity problems (reported once per outage); defaults to the process logger. */
  onRedisError?: (err: unknown) => void
}

/**
 * Wire format: n = publishing node, s = its last event sequence number, l = highest sequence it
 * failed to hand to Redis, t = 'e' event | 'h' heartbeat | 'x' side message (d = its payload).
 */
interface Envelope { n: string; s?: number; l?: number; t: 'e' | 'h' | 'x'; e?: ChangeEvent; d?: string }

/**
 * Promised on top of `Broker`: own events are delivered locally at once, also while Redis is down;
 * remote events arrive once, in per-publisher order; `publish` resolves within `publishTimeoutMs`.
 * Pub/sub is at-most-once, so a lost remote event is only *detected* — our subscriber reconnected,
 * a peer's sequence jumped, or a peer says it failed to publish (see SequenceTracker) — and reported
 * via `onGap`; callers must then resync (close realtime streams). Detection lags by up to one
 * heartbeat when nothing else is published. Undetected: loss before we first heard of a peer.
 */
export class RedisBroker implements Broker {
  /** Gap reports and the node side channel (realtime forwarding). */
  readonly capabilities: BrokerCapabilities = { gaps: this, sideChannel: this }
  readonly nodeId: string
  private readonly local: MemoryBroker
  private readonly pub: Redis
  private readonly sub: Redis
  private readonly prefix: string
  private readonly events: string
  private readonly heartbeatMs: number
  private readonly onRedisError: (err: unknown) => void
  private seq = 0
  /** Highest own seq that never reached Redis; peers turn an increase into a gap. */
  private lostSeq = 0
  private readonly peers: SequenceTracker
  private gapHandlers = new Set<(info: GapInfo) => void>()
  private sideHandlers = new Map<string, Set<(data: string) => void>>()
  private closed = false
  private subscribed = false
  /** The subscriber was disconnected since it last subscribed (or never managed to connect). */
  private lost = false
  private lostReason: GapReason = 'reconnect'
  private warned = false
  private lastEchoAt = Date.now()
  private lastBeatOkAt = 0
  private readyWaiters: (() => void)[] = []
  private pendingSubs = new Set<Promise<unknown>>()
  private timer: NodeJS.Timeout

  constructor(opts: RedisBrokerOptions) {
    this.nodeId = opts.nodeId ?? randomUUID()
    this.prefix = `basalt:${opts.prefix ?? 'default'}:`
    this.events = `${this.prefix}events`
    this.heartbeatMs = opts.heartbeatMs ?? 2000
    this.local = new MemoryBroker({ onError: opts.onError })
    this.peers = new SequenceTracker({ onGap: (info) => this.gap(info), settleMs: Math.max(2 * this.heartbeatMs, 2500) })
    const warn = opts.onRedisError ?? ((err) => processLogger().warn(`realtime: redis unavailable: ${(err as Error)?.message ?? err}`))
    // Report once per outage, not once per reconnect attempt.
    this.onRedisError = (err) => {
      if (this.warned || this.closed) return
      this.warned = true
      warn(err)
    }
    const common = {
      // Capped exponential backoff with jitter, forever: Redis coming back must not need a restart.
      retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 6), 2000) + Math.floor(Math.random() * 100),
      connectTimeout: 5000,
      lazyConnect: false,
    }
    // No offline queue: a publish while Redis is down fails fast instead of queueing without bound.
    this.pub = new Redis(opts.url, {
      ...common, enableOfflineQueue: false, commandTimeout: opts.publishTimeoutMs ?? 1000,
      maxRetriesPerRequest: 0, autoResendUnfulfilledCommands: false,
    })
    // We resubscribe ourselves on 'ready' so we know when the subscription is live again.
    this.sub = new Redis(opts.url, { ...common, autoResubscribe: false, maxRetriesPerRequest: null })
    // Without 'error' listeners ioredis errors would surface as unhandled; never crash on Redis trouble.
    this.pub.on('error', this.onRedisError)
    this.sub.on('error', this.onRedisError)
    this.pub.on('ready', () => {
      this.warned = false
      // Tell peers at once where we stand (including sends that failed while we were away).
      this.beat()
    })
    this.sub.on('close', () => {
      this.subscribed = false
      if (!this.closed) this.lost = true
    })
    this.sub.on('ready', () => void this.resubscribe())
    this.sub.on('message', (channel: string, raw: string) => this.receive(channel, raw))
    this.timer = setInterval(() => this.tick(), this.heartbeatMs)
    this.timer.unref()
  }

  /**
   * Resolves true once the subscriber listens on every channel registered so far (false after
   * `timeoutMs`); messages published before that are not received.
   */
  async ready(timeoutMs = 3000): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined
    const listening = async () => {
      if (!this.subscribed) await new Promise<void>((r) => this.readyWaiters.push(r))
      // A channel added by onNotify after 'ready' is live only once its own SUBSCRIBE is answered.
      await Promise.all(this.pendingSubs)
      return true
    }
    try {
      return await Promise.race([listening(), new Promise<boolean>((r) => { timer = setTimeout(() => r(false), timeoutMs) })])
    } finally {
      clearTimeout(timer)
    }
  }

  /** True while both connections work: events cross nodes (for health checks). */
  get connected(): boolean {
    return this.subscribed && this.pub.status === 'ready'
  }

  /** Remote events may have been missed: close realtime streams so clients resubscribe. Returns an unsubscribe. */
  onGap(handler: (info: GapInfo) => void): () => void {
    const own = (info: GapInfo) => handler(info)
    this.gapHandlers.add(own)
    return () => { this.gapHandlers.delete(own) }
  }

  async publish(event: ChangeEvent): Promise<void> {
    if (this.closed) throw new Error('broker is closed')
    // Serialize first: an event that cannot cross nodes is rejected everywhere, not delivered on one node only.
    const body = JSON.stringify(event)
    const seq = ++this.seq
    await this.local.publish(event)
    // A failed send still consumed `seq`: peers then see the gap (next event or heartbeat) and resync.
    try {
      await this.pub.publish(this.events, `${this.ownEventPrefix}"s":${seq},"l":${this.lostSeq},"e":${body}}`)
    } catch (err) {
      this.lostSeq = Math.max(this.lostSeq, seq)
      this.onRedisError(err)
    }
  }

  subscribe(handler: (e: ChangeEvent) => void): () => void {
    if (this.closed) throw new Error('broker is closed')
    return this.local.subscribe(handler)
  }

  /**
   * Best-effort message to other nodes on `basalt:<prefix>:<name>` (own messages are not echoed).
   * Rejects if Redis did not take it; no ordering or gap detection (use `onGap` as the resync signal).
   */
  async notify(name: string, data: string): Promise<void> {
    if (this.closed) throw new Error('broker is closed')
    await this.pub.publish(this.prefix + name, JSON.stringify({ n: this.nodeId, t: 'x', d: data } satisfies Envelope))
  }

  /** Receives other nodes' `notify(name, …)` messages. Returns an unsubscribe. */
  onNotify(name: string, handler: (data: string) => void): () => void {
    const channel = this.prefix + name
    let set = this.sideHandlers.get(channel)
    if (!set) {
      this.sideHandlers.set(channel, (set = new Set()))
      if (this.subscribed) {
        const p: Promise<unknown> = this.sub.subscribe(channel).catch(this.onRedisError).finally(() => this.pendingSubs.delete(p))
        this.pendingSubs.add(p)
      }
    }
    const own = (d: string) => handler(d)
    set.add(own)
    return () => { set.delete(own) }
  }

  /** Stops delivery, flushes queued PUBLISHes (bounded) and closes both connections. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    clearInterval(this.timer)
    this.peers.dispose()
    this.gapHandlers.clear()
    this.sideHandlers.clear()
    await this.local.close()
    for (const w of this.readyWaiters.splice(0)) w()
    this.sub.disconnect()
    // QUIT is answered after earlier commands, so in-flight publishes get out; fails fast if offline.
    await Promise.race([this.pub.quit().catch(() => {}), new Promise((r) => setTimeout(r, 500).unref())])
    this.pub.disconnect()
  }

  private async resubscribe(): Promise<void> {
    try {
      // onNotify() may add channels while a SUBSCRIBE is in flight (it leaves them to us until we
      // are subscribed): repeat until every wanted channel is covered.
      const done = new Set<string>()
      for (let want = [this.events, ...this.sideHandlers.keys()]; want.length; want = [...this.sideHandlers.keys()].filter((c) => !done.has(c))) {
        await this.sub.subscribe(...want)
        for (const c of want) done.add(c)
      }
    } catch (err) {
      // The connection dropped again before SUBSCRIBE was answered; the next 'ready' retries.
      this.onRedisError(err)
      return
    }
    if (this.closed) return
    this.subscribed = true
    this.warned = false
    this.lastEchoAt = Date.now()
    this.lastBeatOkAt = 0
    if (this.lost) {
      this.lost = false
      this.peers.reconnected(this.lostReason)
      this.lostReason = 'reconnect'
    }
    for (const w of this.readyWaiters.splice(0)) w()
  }

  /** How every event envelope this node publishes begins; heartbeats start differently (`{"n":…`). */
  private get ownEventPrefix(): string {
    return `{"t":"e","n":${JSON.stringify(this.nodeId)},`
  }

  private receive(channel: string, raw: string): void {
    if (this.closed) return
    // Our own event echoes (every write we publish) are dropped unparsed: they were delivered
    // locally already, and parsing full records twice per write is measurable CPU.
    if (channel === this.events && raw.startsWith(this.ownEventPrefix)) return
    let m: Envelope
    try {
      m = JSON.parse(raw) as Envelope
    } catch (err) {
      this.onRedisError(err)
      return
    }
    // Valid JSON is not necessarily an envelope (`null`, `1`, `[]`): never let one crash the node.
    if (!m || typeof m !== 'object' || Array.isArray(m)) return
    if (channel !== this.events) {
      if (m.n === this.nodeId || typeof m.d !== 'string') return
      for (const h of this.sideHandlers.get(channel) ?? []) {
        try { h(m.d) } catch (err) { processLogger().error({ err }, 'realtime: notify handler failed') }
      }
      return
    }
    if (m.n === this.nodeId) {
      // Our own echo proves the subscriber is alive; our events were already delivered locally.
      if (m.t === 'h') this.lastEchoAt = Date.now()
      return
    }
    if (typeof m.n !== 'string' || typeof m.s !== 'number') return
    const fresh = this.peers.accept(m.n, m.s, typeof m.l === 'number' ? m.l : 0, m.t === 'h')
    if (fresh && m.t === 'e' && m.e) void this.local.publish(m.e).catch(() => {})
  }

  private tick(): void {
    if (this.closed) return
    const now = Date.now()
    this.peers.prune(10 * this.heartbeatMs)
    this.beat()
    // Redis took our heartbeats but none came back: a half-open or evicted subscriber. Reconnect (→ gap).
    if (this.subscribed && this.lastBeatOkAt - this.lastEchoAt > 3 * this.heartbeatMs) {
      this.lastEchoAt = now
      this.lostReason = 'stale'
      this.sub.disconnect(true)
    }
  }

  /** Heartbeats carry our latest sequence, so peers notice a lost event even if we publish nothing after it. */
  private beat(): void {
    if (this.closed || this.pub.status !== 'ready') return
    this.pub.publish(this.events, JSON.stringify({ n: this.nodeId, s: this.seq, l: this.lostSeq, t: 'h' } satisfies Envelope))
      .then(() => { this.lastBeatOkAt = Date.now() }, this.onRedisError)
  }

  private gap(info: GapInfo): void {
    for (const h of [...this.gapHandlers]) {
      try { h(info) } catch (err) { processLogger().error({ err }, 'realtime: onGap handler failed') }
    }
  }
}
