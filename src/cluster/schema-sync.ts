// SchemaSync: keeps this node's collection cache in step with schema changes made through other nodes.
import type { BrokerCapabilities, SideChannel } from '../realtime/types.ts'
import { processLogger } from '../observability/logger.ts'
import type { CollectionService, SchemaChangeListener } from '../core/collections/collection-service.ts'

/** A best-effort "the schema changed" signal between nodes. */
export interface SchemaChannel {
  /** Resolves true once listening (false after `timeoutMs`; it keeps trying in the background). */
  ready(timeoutMs: number): Promise<boolean>
  /** Tells the other nodes; rejects if the message surely did not leave. */
  send(): Promise<void>
  /** Another node changed the schema. */
  onRemote(cb: () => void): void
  /** Messages may have been missed (reconnect): reload to be safe. */
  onGap(cb: () => void): void
  close(): Promise<void>
}

export interface SchemaSyncOptions {
  collections: CollectionService
  /** null = single node: only the periodic reload runs (useful when several nodes share one database anyway). */
  channel: SchemaChannel | null
  /** Safety net for lost messages: reload at least this often. 0 disables. */
  intervalMs?: number
  /**
   * A collection changed (seen by a reload, so typically through another node); same shape as
   * `CollectionService.onChange`. May report a collection that did not really change: compare.
   */
  onReloadChange?: SchemaChangeListener
  onError?: (err: unknown) => void
}

export const DEFAULT_SCHEMA_RELOAD_MS = 30_000
const MAX_SEND_BACKOFF_MS = 5000

/**
 * Reloads are coalesced (one running, at most one queued) and also follow every local change: a
 * reload whose SELECT ran before a concurrent local commit would otherwise leave a stale cache.
 * A failed announcement is retried with backoff until it goes out, so a Redis/PG blip delays other
 * nodes instead of leaving them stale until the periodic reload.
 */
export class SchemaSync {
  private running: Promise<void> | null = null
  private queued = false
  private sendPending = false
  private sending = false
  private sendBackoff = 100
  private retryTimer: NodeJS.Timeout | null = null
  private interval: NodeJS.Timeout | null = null
  private closed = false
  private readonly onError: (err: unknown) => void

  constructor(private readonly opts: SchemaSyncOptions) {
    this.onError = opts.onError ?? ((err) => processLogger().error({ err }, 'cluster: schema sync failed'))
  }

  /** Wires listeners, waits (bounded) for the channel, then reloads once to cover changes made meanwhile. */
  async start(readyTimeoutMs = 3000): Promise<void> {
    const { collections, channel } = this.opts
    collections.onChange(() => {
      if (this.closed) return
      if (channel) this.announce()
      void this.reload()
    })
    channel?.onRemote(() => void this.reload())
    channel?.onGap(() => void this.reload())
    const every = this.opts.intervalMs ?? DEFAULT_SCHEMA_RELOAD_MS
    if (every > 0) {
      this.interval = setInterval(() => void this.reload(), every)
      this.interval.unref()
    }
    if (channel) await channel.ready(readyTimeoutMs)
    await this.reload()
  }

  /** Reloads the cache from the database; never rejects (errors go to onError). */
  reload(): Promise<void> {
    if (this.closed) return Promise.resolve()
    if (this.running) {
      this.queued = true
      return this.running
    }
    this.running = (async () => {
      do {
        this.queued = false
        try {
          await this.reloadOnce()
        } catch (err) {
          if (!this.closed) this.onError(err)
        }
      } while (this.queued && !this.closed)
    })().finally(() => { this.running = null })
    return this.running
  }

  async close(): Promise<void> {
    this.closed = true
    if (this.interval) clearInterval(this.interval)
    if (this.retryTimer) clearTimeout(this.retryTimer)
    await this.running
    await this.opts.channel?.close()
  }

  private async reloadOnce(): Promise<void> {
    const { collections, onReloadChange } = this.opts
    const before = new Map(collections.all().map((c) => [c.id, c]))
    await collections.reload()
    if (!onReloadChange || this.closed) return
    const after = new Map(collections.all().map((c) => [c.id, c]))
    for (const [id, b] of before) {
      const a = after.get(id)
      if (!a || JSON.stringify(a) !== JSON.stringify(b)) this.safely(() => onReloadChange(b, a))
    }
    for (const [id, a] of after) if (!before.has(id)) this.safely(() => onReloadChange(undefined, a))
  }

  private safely(fn: () => void): void {
    try { fn() } catch (err) { this.onError(err) }
  }

  private announce(): void {
    this.sendPending = true
    if (this.sending || this.retryTimer) return
    this.sending = true
    this.sendPending = false
    this.opts.channel!.send().then(
      () => {
        this.sending = false
        this.sendBackoff = 100
        if (this.sendPending && !this.closed) this.announce()
      },
      (err) => {
        this.sending = false
        this.sendPending = true
        if (this.closed) return
        if (this.sendBackoff === 100) this.onError(err)
        this.retryTimer = setTimeout(() => {
          this.retryTimer = null
          if (!this.closed) this.announce()
        }, this.sendBackoff)
        this.retryTimer.unref()
        this.sendBackoff = Math.min(this.sendBackoff * 2, MAX_SEND_BACKOFF_MS)
      },
    )
  }
}

/** Schema messages over the realtime broker's Redis connections (`basalt:<prefix>:schema`). */
export function redisSchemaChannel(side: SideChannel, gaps: NonNullable<BrokerCapabilities['gaps']>): SchemaChannel {
  const offs: (() => void)[] = []
  return {
    ready: async (timeoutMs) => (side.ready ? side.ready(timeoutMs) : true),
    send: () => side.notify('schema', 'changed'),
    onRemote: (cb) => { offs.push(side.onNotify('schema', cb)) },
    onGap: (cb) => { offs.push(gaps.onGap(() => cb())) },
    // The broker itself is closed by its owner (the app).
    close: async () => { for (const off of offs.splice(0)) off() },
  }
}
