// The delivery log (`_webhookDeliveries`): attempts finished in the same event-loop turn are written by one
// multi-row INSERT, so a busy endpoint costs one write transaction per batch rather than one per delivery.
import type { Store } from '../../store/types.ts'
import { sql, type Sql } from '../../store/sql.ts'

export interface DeliveryRow {
  id: string
  webhook: string
  eventId: string
  eventType: string
  status: 'success' | 'failed'
  attempt: number
  responseStatus: number
  latencyMs: number
  response: string
  error: string
  created: string
}

const MAX_BATCH = 200

export class DeliveryLog {
  private pending: { row: DeliveryRow; done: (err?: unknown) => void }[] = []
  private scheduled = false

  constructor(private readonly store: Store) {}

  /** Resolves once the row is committed (an attempt is only over once it is logged). */
  write(row: DeliveryRow): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ row, done: (err) => (err ? reject(err) : resolve()) })
      if (!this.scheduled) {
        this.scheduled = true
        setImmediate(() => void this.flush())
      }
    })
  }

  private async flush(): Promise<void> {
    this.scheduled = false
    while (this.pending.length) {
      const batch = this.pending.splice(0, MAX_BATCH)
      const values: Sql[] = batch.map(({ row: r }) => sql`(${r.id}, ${r.webhook}, ${r.eventId}, ${r.eventType}, ${r.status}, ${r.attempt}, ${r.responseStatus},
        ${r.latencyMs}, ${r.response}, ${r.error}, ${r.created}, ${r.created})`)
      try {
        await this.store.run(sql`INSERT INTO "_webhookDeliveries"
          ("id", "webhook", "eventId", "eventType", "status", "attempt", "responseStatus", "latencyMs", "response", "error", "created", "updated")
          VALUES ${sql.join(values)}`)
        for (const b of batch) b.done()
      } catch (err) {
        for (const b of batch) b.done(err)
      }
    }
  }
}
