// Prometheus metrics of one App (served at GET /api/metrics, docs/operations.md "Metrics").
// Each App owns its own prom-client Registry: tests and framework-mode programs run several apps in one
// process, and the global registry would mix (or refuse to re-register) their series.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'

/** Seconds; from a fast cached read to a slow upload or report. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

/** Numbers read at scrape time from the services that own them (nothing is pushed on the hot path). */
export interface MetricSources {
  /** Connected realtime clients (SSE streams). */
  realtimeClients(): number
  /** Realtime messages written to clients / lost (slow consumer, closed stream) since start. */
  realtimeDelivered(): number
  realtimeDropped(): number
  /** Store connection use; fields absent when the store has no such notion. */
  db(): DbUse
}

export interface DbUse {
  store: 'sqlite' | 'postgres' | 'other'
  /** PostgreSQL pool: open connections, idle ones, callers waiting for one. */
  total?: number
  idle?: number
  waiting?: number
  /** SQLite: transactions queued behind the one writer connection. */
  writerQueue?: number
}

export type RateLimitKind = 'rules' | 'auth'

export class AppMetrics {
  readonly registry = new Registry()
  /** Requests by method, route pattern and status; its `_count` series is the request counter. */
  readonly requestDuration: Histogram<'method' | 'route' | 'status'>
  readonly rateLimited: Counter<'kind'>
  /** Requests being handled now (kept as a plain number: the gauge reads it at scrape time). */
  inFlight = 0
  private shedSource: () => number = () => 0
  private defaultsStarted = false

  constructor(sources: MetricSources) {
    const registers = [this.registry]
    this.requestDuration = new Histogram({
      name: 'basalt_http_request_duration_seconds',
      help: 'HTTP request latency by method, route pattern and status (the _count series counts requests).',
      labelNames: ['method', 'route', 'status'],
      buckets: LATENCY_BUCKETS,
      registers,
    })
    const self = this
    new Gauge({
      name: 'basalt_http_requests_in_flight',
      help: 'HTTP requests being handled now (realtime streams are counted in basalt_realtime_clients).',
      registers,
      collect() { this.set(self.inFlight) },
    })
    this.rateLimited = new Counter({
      name: 'basalt_rate_limit_refusals_total',
      help: 'Requests refused with 429: kind="rules" by the rate-limit settings, kind="auth" by the brute-force guard.',
      labelNames: ['kind'],
      registers,
    })
    new Counter({
      name: 'basalt_http_requests_shed_total',
      help: 'Requests refused with 503 because the server was overloaded (load shedding).',
      registers,
      collect() { setCounter(this, self.shedSource()) },
    })
    new Gauge({
      name: 'basalt_realtime_clients',
      help: 'Connected realtime (SSE) clients on this node.',
      registers,
      collect() { this.set(sources.realtimeClients()) },
    })
    new Counter({
      name: 'basalt_realtime_messages_delivered_total',
      help: 'Realtime messages written to client streams on this node.',
      registers,
      collect() { setCounter(this, sources.realtimeDelivered()) },
    })
    new Counter({
      name: 'basalt_realtime_messages_dropped_total',
      help: 'Realtime messages not delivered: the client was too slow (dropped) or its stream had closed.',
      registers,
      collect() { setCounter(this, sources.realtimeDropped()) },
    })
    new Gauge({
      name: 'basalt_db_pool_connections',
      help: 'PostgreSQL pool connections by state (total = open, idle = open and unused).',
      labelNames: ['state'],
      registers,
      collect() {
        const db = sources.db()
        if (db.total === undefined) return
        this.set({ state: 'total' }, db.total)
        this.set({ state: 'idle' }, db.idle ?? 0)
      },
    })
    new Gauge({
      name: 'basalt_db_waiting',
      help: 'Callers waiting for the database: PostgreSQL pool waiters, or SQLite transactions queued for the writer.',
      labelNames: ['store'],
      registers,
      collect() {
        const db = sources.db()
        this.set({ store: db.store }, db.waiting ?? db.writerQueue ?? 0)
      },
    })
  }

  /**
   * Load shedding (src/http, the "harden" work) reports its refusals here: `read` returns the number of
   * requests shed since start. Read at scrape time, so shedding itself pays nothing for metrics.
   */
  setShedSource(read: () => number): void {
    this.shedSource = read
  }

  /** Prometheus text exposition of every metric of this app. */
  async render(): Promise<{ contentType: string; body: string }> {
    // process_* (RSS, heap, CPU, open fds) and nodejs_* (event-loop delay, GC, heap spaces). Started on the
    // first scrape: they keep an event-loop monitor and a GC observer running for good, which apps that are
    // never scraped (tests start hundreds) should not pay for.
    if (!this.defaultsStarted) {
      this.defaultsStarted = true
      collectDefaultMetrics({ register: this.registry })
    }
    return { contentType: this.registry.contentType, body: await this.registry.metrics() }
  }
}

/** A monotonically growing count owned elsewhere, exposed as a counter (prom-client counters only go up). */
function setCounter(counter: Counter, total: number): void {
  counter.reset()
  if (total > 0) counter.inc(total)
}
