// Delivers the outbox to registered sinks (webhooks, brokers, app code): at least once, in outbox order,
// one node per sink across a cluster. docs/events.md.
import { formatDate, type Clock } from '../core/clock.ts'
import { sql } from '../store/sql.ts'
import type { Store } from '../store/types.ts'
import { toCloudEvent, type CloudEvent, type EventSink } from './cloudevents.ts'
import type { Outbox, OutboxEvent } from './outbox.ts'

export interface DispatcherOptions {
  store: Store
  outbox: Outbox
  clock: Clock
  /** Holder name of sink leases (one per process). */
  nodeId: string
  /** CloudEvents `source` prefix, e.g. `basalt://shop`. */
  source: () => string | Promise<string>
  onError: (err: unknown, sink: string) => void
  /** How often a sink looks for events written by other nodes (local writes wake it at once). */
  pollMs?: number
  /** A sink's lease: another node takes the sink over this long after its holder stopped renewing. */
  leaseMs?: number
  batchSize?: number
  /** Cap of the retry delay after consecutive failures of a sink. */
  maxBackoffMs?: number
  /**
   * Pause after a pass that found less than a full batch: under a steady stream of commits the next
   * pass then takes several events at once (one read, one cursor write) instead of one per commit.
   * A lone event after a quiet period is still delivered at once.
   */
  lingerMs?: number
}

export interface EmitOptions {
  /** The event's subject (its ordering key for receivers); default empty. */
  subject?: string
}

/** `sink:<name>` in `_eventCursors` and `_eventLeases`. */
export const sinkKey = (name: string) => `sink:${name}`

export class EventDispatcher {
  private readonly loops = new Map<string, SinkLoop>()
  private readonly offAppend: () => void

  constructor(private readonly o: DispatcherOptions) {
    this.offAppend = o.outbox.onAppend(() => { for (const loop of this.loops.values()) loop.wake() })
  }

  /**
   * Starts delivering to `sink`. A sink seen for the first time starts at the newest event (it gets what
   * happens from now on, not the retained history); a known sink resumes after its cursor.
   * Returns a function that stops this sink (its cursor is kept).
   */
  async register(sink: EventSink): Promise<() => Promise<void>> {
    if (this.loops.has(sink.name)) throw new Error(`An event sink named "${sink.name}" is already registered.`)
    const key = sinkKey(sink.name)
    const known = await this.o.store.get(sql`SELECT 1 AS "x" FROM "_eventCursors" WHERE "id" = ${key}`)
    if (!known) await this.o.outbox.advance(key, await this.o.outbox.head())
    const loop = new SinkLoop(sink, this.o)
    this.loops.set(sink.name, loop)
    loop.start()
    return async () => {
      this.loops.delete(sink.name)
      await loop.stop()
    }
  }

  /** Appends a custom event; inside a transaction it commits with it, or is never delivered. */
  emit(type: string, data: unknown, opts: EmitOptions = {}): Promise<Omit<OutboxEvent, 'seq'>> {
    if (!type || type.startsWith('record.')) throw new Error('A custom event type must be non-empty and not start with "record.".')
    return this.o.outbox.append({ type, data, subject: opts.subject })
  }

  async close(): Promise<void> {
    this.offAppend()
    const loops = [...this.loops.values()]
    this.loops.clear()
    await Promise.all(loops.map((l) => l.stop()))
  }
}

/** One sink's delivery loop: lease → read after cursor → deliver → advance. */
class SinkLoop {
  private stopped = false
  private running: Promise<void> | null = null
  private wakeUp: (() => void) | null = null
  private woken = false
  /** Local view of the lease's expiry (0: not held). */
  private heldUntil = 0
  /** The cursor as this holder last read or moved it; re-read whenever the lease is renewed in the database. */
  private cursorSeq: number | null = null
  private readonly key: string

  constructor(private readonly sink: EventSink, private readonly o: DispatcherOptions) {
    this.key = sinkKey(sink.name)
  }

  start(): void { this.running = this.run() }

  wake(): void {
    this.woken = true
    this.wakeUp?.()
  }

  async stop(): Promise<void> {
    this.stopped = true
    this.wake()
    await this.running
    this.heldUntil = 0
    await this.releaseLease().catch(() => {})
    await this.sink.close?.()
  }

  private async run(): Promise<void> {
    const pollMs = this.o.pollMs ?? 1000
    let failures = 0
    while (!this.stopped) {
      try {
        this.woken = false
        // Another node delivers this sink: local appends are its business, so only the lease expiry matters.
        if (!(await this.holdLease())) { await this.sleep(pollMs, false); continue }
        const batchSize = this.o.batchSize ?? 100
        this.cursorSeq ??= await this.o.outbox.cursor(this.key)
        const events = await this.o.outbox.read(this.cursorSeq, batchSize)
        if (!events.length) { await this.sleep(pollMs); continue }
        const source = await this.o.source()
        const batch: CloudEvent[] = events.map((e) => toCloudEvent(e, source))
        await this.sink.deliver(batch)
        const last = events[events.length - 1].seq
        await this.o.outbox.advance(this.key, last)
        this.cursorSeq = last
        failures = 0
        if (events.length < batchSize && (this.o.lingerMs ?? 10) > 0) await this.sleep(this.o.lingerMs ?? 10, false)
      } catch (err) {
        this.cursorSeq = null
        failures++
        this.o.onError(err, this.sink.name)
        // Exponential backoff with jitter; a wake-up (new event) does not cut it short.
        const delay = Math.min(this.o.maxBackoffMs ?? 30_000, 100 * 2 ** Math.min(failures, 16))
        await this.sleep(delay / 2 + Math.random() * delay / 2, false)
      }
    }
  }

  /** Waits `ms`, or less when woken by a local append (when `wakeable`). */
  private sleep(ms: number, wakeable = true): Promise<void> {
    if (this.stopped || (wakeable && this.woken)) return Promise.resolve()
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms)
      function done() { clearTimeout(timer); resolve() }
      this.wakeUp = wakeable ? done : () => { if (this.stopped) done() }
    })
  }

  /** Takes or renews the sink's lease; false while another live node holds it. */
  private async holdLease(): Promise<boolean> {
    const now = this.o.clock.now()
    const leaseMs = this.o.leaseMs ?? 15_000
    // Renewed when a third of it is used, not on every pass: under write load a pass runs per commit.
    if (now.getTime() < this.heldUntil - (leaseMs * 2) / 3) return true
    // Another node may have moved the cursor while this one did not hold the lease.
    this.cursorSeq = null
    const nowText = formatDate(now)
    const until = formatDate(new Date(now.getTime() + leaseMs))
    const { store, nodeId } = this.o
    const renewed = await store.run(sql`UPDATE "_eventLeases" SET "holder" = ${nodeId}, "expires" = ${until}
      WHERE "id" = ${this.key} AND ("holder" = ${nodeId} OR "expires" < ${nowText})`)
    const held = renewed.changes > 0 || (await store.run(sql`INSERT INTO "_eventLeases" ("id", "holder", "expires") VALUES (${this.key}, ${nodeId}, ${until}) ON CONFLICT DO NOTHING`)).changes > 0
    this.heldUntil = held ? now.getTime() + leaseMs : 0
    return held
  }

  private releaseLease() {
    return this.o.store.run(sql`UPDATE "_eventLeases" SET "expires" = '' WHERE "id" = ${this.key} AND "holder" = ${this.o.nodeId}`)
  }
}
