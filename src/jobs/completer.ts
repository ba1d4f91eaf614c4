// Completer: batches "job completed" writes (one statement per event-loop turn instead of one per job).
import { completeJobs } from './job-sql.ts'
import type { Store } from '../store/types.ts'
import type { Clock } from '../core/clock.ts'

export class Completer {
  private pending: { id: string; output: string | null }[] = []
  private flushing: Promise<void> | null = null

  constructor(private readonly store: Store, private readonly clock: Clock, private readonly worker: string, private readonly onError: (err: unknown) => void) {}

  complete(id: string, output: string | null) {
    this.pending.push({ id, output })
    if (!this.flushing) this.flushing = new Promise<void>((r) => setImmediate(r)).then(() => this.flushLoop())
  }

  /** Resolves once everything completed so far is written. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.pending.length) {
        const batch = this.pending.splice(0, 500)
        // A failed write leaves the jobs active: their lease expires and they run again (at-least-once).
        try { await completeJobs(this.store, batch, this.worker, this.clock.now().getTime()) } catch (err) { this.onError(err) }
      }
    } finally {
      this.flushing = null
    }
  }
}
