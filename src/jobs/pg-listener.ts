// PgListener: one dedicated LISTEN connection that wakes this node's workers when another node enqueues.
import pg from 'pg'

/**
 * LISTEN needs its own session (a pooled connection would lose it). The connection is re-opened with
 * backoff when it drops; notifications sent meanwhile are lost, which the workers' slow poll covers.
 */
export class PgListener {
  private client: pg.Client | null = null
  private closed = false
  private backoff = 100
  private timer: NodeJS.Timeout | null = null
  private readonly retired = new WeakSet<pg.Client>()

  constructor(private readonly url: string, private readonly channel: string, private readonly onNotify: (payload: string) => void,
    private readonly onError: (err: unknown) => void) {
    if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`invalid NOTIFY channel ${channel}`)
    void this.connect()
  }

  async close(): Promise<void> {
    this.closed = true
    if (this.timer) clearTimeout(this.timer)
    const client = this.client
    this.client = null
    if (client) await Promise.race([client.end().catch(() => {}), new Promise((r) => setTimeout(r, 1000).unref())])
  }

  private async connect(): Promise<void> {
    this.timer = null
    if (this.closed) return
    const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 5000, keepAlive: true, application_name: 'basalt-jobs' })
    client.on('error', () => this.retry(client))
    client.on('end', () => this.retry(client))
    client.on('notification', (n) => { if (n.channel === this.channel) this.onNotify(n.payload ?? '') })
    try {
      await client.connect()
      await client.query(`LISTEN ${this.channel}`)
      if (this.closed) { await client.end().catch(() => {}); return }
      this.client = client
      this.backoff = 100
      // Whatever was enqueued while we were not listening: let the workers look.
      this.onNotify('')
    } catch (err) {
      this.onError(err)
      this.retry(client)
    }
  }

  private retry(client: pg.Client) {
    if (this.closed || this.retired.has(client)) return
    this.retired.add(client)
    if (this.client === client) this.client = null
    client.end().catch(() => {})
    this.timer = setTimeout(() => void this.connect(), this.backoff)
    this.timer.unref()
    this.backoff = Math.min(this.backoff * 2, 5000)
  }
}
