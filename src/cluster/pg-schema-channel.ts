// Schema-change signal over PostgreSQL LISTEN/NOTIFY, for clusters without Redis.
import { processLogger } from '../observability/logger.ts'
import pg from 'pg'
import type { SchemaChannel } from './schema-sync.ts'

export interface PgSchemaChannelOptions {
  connectionString: string
  nodeId: string
  /** NOTIFY channel; notifications are per database, so one name per cluster is enough. */
  channel?: string
  onError?: (err: unknown) => void
}

/**
 * One dedicated connection (LISTEN needs a session; pooled connections would lose it). It is
 * re-opened with backoff when it drops, and every (re)connect counts as a gap because
 * notifications sent while nobody listened are gone. A half-open TCP connection is only noticed by
 * keepalive, so the periodic reload in SchemaSync stays the safety net.
 */
export class PgSchemaChannel implements SchemaChannel {
  private client: pg.Client | null = null
  private closed = false
  private backoff = 100
  private timer: NodeJS.Timeout | null = null
  private warned = false
  private remote: (() => void)[] = []
  private gaps: (() => void)[] = []
  private waiters: (() => void)[] = []
  private readonly channel: string
  private readonly onError: (err: unknown) => void

  constructor(private readonly opts: PgSchemaChannelOptions) {
    this.channel = opts.channel ?? 'basalt_schema'
    if (!/^[a-z_][a-z0-9_]*$/.test(this.channel)) throw new Error(`invalid NOTIFY channel ${this.channel}`)
    const report = opts.onError ?? ((err) => processLogger().warn(`cluster: schema listener: ${(err as Error)?.message ?? err}`))
    // Once per outage, not once per reconnect attempt.
    this.onError = (err) => {
      if (this.warned || this.closed) return
      this.warned = true
      report(err)
    }
    void this.connect()
  }

  ready(timeoutMs: number): Promise<boolean> {
    if (this.client) return Promise.resolve(true)
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), timeoutMs)
      this.waiters.push(() => { clearTimeout(t); resolve(true) })
    })
  }

  async send(): Promise<void> {
    if (!this.client) throw new Error('schema listener is not connected')
    await this.client.query('SELECT pg_notify($1, $2)', [this.channel, JSON.stringify({ n: this.opts.nodeId })])
  }

  onRemote(cb: () => void): void { this.remote.push(cb) }
  onGap(cb: () => void): void { this.gaps.push(cb) }

  async close(): Promise<void> {
    this.closed = true
    if (this.timer) clearTimeout(this.timer)
    for (const w of this.waiters.splice(0)) w()
    const client = this.client
    this.client = null
    if (client) await Promise.race([client.end().catch(() => {}), new Promise((r) => setTimeout(r, 1000).unref())])
  }

  private async connect(): Promise<void> {
    this.timer = null
    if (this.closed) return
    const client = new pg.Client({
      connectionString: this.opts.connectionString, connectionTimeoutMillis: 5000, keepAlive: true,
      // Visible in pg_stat_activity, so an operator (or a test) can tell the listener apart.
      application_name: `basalt-schema-${this.opts.nodeId}`.slice(0, 63),
    })
    // An idle client's socket error is emitted, not thrown: without a listener it would crash the process.
    client.on('error', this.onError)
    client.on('end', () => {
      if (this.client !== client) return
      this.client = null
      this.retry()
    })
    client.on('notification', (msg) => {
      if (msg.channel !== this.channel || this.client !== client) return
      let from: unknown
      try { from = (JSON.parse(msg.payload ?? '{}') as { n?: unknown }).n } catch { /* foreign payload: still a change */ }
      if (from === this.opts.nodeId) return
      this.fire(this.remote)
    })
    try {
      await client.connect()
      await client.query(`LISTEN ${this.channel}`)
    } catch (err) {
      this.onError(err)
      client.end().catch(() => {})
      this.retry()
      return
    }
    if (this.closed) {
      client.end().catch(() => {})
      return
    }
    this.client = client
    this.backoff = 100
    this.warned = false
    for (const w of this.waiters.splice(0)) w()
    this.fire(this.gaps)
  }

  private retry(): void {
    if (this.closed || this.timer) return
    this.timer = setTimeout(() => void this.connect(), this.backoff + Math.floor(Math.random() * 100))
    this.timer.unref()
    this.backoff = Math.min(this.backoff * 2, 5000)
  }

  private fire(list: (() => void)[]): void {
    for (const cb of list) {
      try { cb() } catch (err) { processLogger().error({ err }, 'cluster: schema listener callback failed') }
    }
  }
}
