// In-process broker: fans ChangeEvents out to this process's subscribers, asynchronously.
import { processLogger } from '../../observability/logger.ts'
import type { Broker, ChangeEvent } from '../types.ts'

type Handler = (e: ChangeEvent) => void

export interface MemoryBrokerOptions {
  /** A subscriber threw or rejected; defaults to the process logger. */
  onError?: (err: unknown) => void
}

/**
 * Single-process only: nothing crosses nodes and nothing survives a restart (see `Broker` for
 * what is not promised). Each publish is delivered on a later macrotask (setImmediate), so a
 * publisher inside a request never runs subscriber work (rule checks for every client) inline.
 */
export class MemoryBroker implements Broker {
  readonly capabilities = {}
  private handlers = new Set<Handler>()
  private inFlight = new Set<Promise<void>>()
  private closed = false
  private readonly onError: (err: unknown) => void

  constructor(opts: MemoryBrokerOptions = {}) {
    this.onError = opts.onError ?? ((err) => processLogger().error({ err }, 'realtime: broker subscriber failed'))
  }

  publish(event: ChangeEvent): Promise<void> {
    if (this.closed) return Promise.reject(new Error('broker is closed'))
    // Snapshot: a subscriber added after this publish does not get this event.
    const targets = [...this.handlers]
    if (targets.length === 0) return Promise.resolve()
    const delivery = new Promise<void>((resolve) => {
      setImmediate(() => {
        for (const handler of targets) {
          // Re-checked at delivery so unsubscribe and close take effect immediately.
          if (!this.closed && this.handlers.has(handler)) this.invoke(handler, event)
        }
        resolve()
      })
    })
    this.inFlight.add(delivery)
    void delivery.then(() => this.inFlight.delete(delivery))
    return Promise.resolve()
  }

  subscribe(handler: Handler): () => void {
    if (this.closed) throw new Error('broker is closed')
    // Wrapped so the same function subscribed twice is two independent subscriptions.
    const own: Handler = (e) => handler(e)
    this.handlers.add(own)
    return () => {
      this.handlers.delete(own)
    }
  }

  /** Stops accepting publishes, drops undelivered events and resolves once no delivery is running. */
  async close(): Promise<void> {
    this.closed = true
    this.handlers.clear()
    await Promise.all(this.inFlight)
  }

  private invoke(handler: Handler, event: ChangeEvent): void {
    try {
      const result: unknown = handler(event)
      // Handlers are typed void but are often async (hub.dispatch); a rejection must not go unhandled.
      if (result instanceof Promise) result.catch(this.onError)
    } catch (err) {
      this.onError(err)
    }
  }
}
