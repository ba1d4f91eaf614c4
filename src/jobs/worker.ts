// QueueWorker: claims and runs the jobs of one name on this node, within its concurrency, with timeouts and retries.
import { retryDelay } from './backoff.ts'
import { claimJobs, deferJob, failJob, type JobRow } from './job-sql.ts'
import { DeferJob } from './defer.ts'
import type { Store } from '../store/types.ts'
import type { Clock } from '../core/clock.ts'
import type { DefineOptions, JobHandler } from './types.ts'
import type { Completer } from './completer.ts'

export interface WorkerDeps {
  store: Store
  clock: Clock
  /** This node's lease owner id. */
  worker: string
  leaseMs: number
  completer: Completer
  onError(err: unknown, context: string): void
  /** Asks for a wake-up at `at` (epoch ms), e.g. for a retry scheduled by this node. */
  wakeAt(name: string, at: number): void
}

export const DEFAULT_TIMEOUT_MS = 15 * 60 * 1000
export const DEFAULT_CONCURRENCY = 5

interface Running { ctrl: AbortController; row: JobRow }

export class QueueWorker {
  readonly running = new Map<string, Running>()
  private pumping = false
  private again = false
  private stopped = false

  constructor(readonly name: string, private handler: JobHandler, private opts: DefineOptions, private readonly deps: WorkerDeps) {}

  /** Replaces the handler and options (a dev reload re-defines jobs); running attempts finish with the old one. */
  redefine(handler: JobHandler, opts: DefineOptions) { this.handler = handler; this.opts = opts }

  get options(): DefineOptions { return this.opts }
  get concurrency(): number { return Math.max(1, this.opts.concurrency ?? DEFAULT_CONCURRENCY) }

  /** Claims as many runnable jobs as there are free slots; repeats while batches come back full. */
  async pump(): Promise<void> {
    if (this.stopped) return
    if (this.pumping) { this.again = true; return }
    this.pumping = true
    try {
      do {
        this.again = false
        for (;;) {
          const free = this.concurrency - this.running.size
          if (free <= 0 || this.stopped) break
          const rows = await claimJobs(this.deps.store, this.name, free, this.deps.worker, this.deps.clock.now().getTime(), this.deps.leaseMs)
          for (const row of rows) this.start(row)
          if (rows.length < free) break
        }
      } while (this.again && !this.stopped)
    } catch (err) {
      this.deps.onError(err, `claiming ${this.name} jobs`)
    } finally {
      this.pumping = false
    }
  }

  /** Stops claiming (running attempts go on). */
  stop() { this.stopped = true }

  /** Aborts a running attempt (cancel, or shutdown past the grace period). */
  abort(id: string, reason: string): boolean {
    const r = this.running.get(id)
    r?.ctrl.abort(new Error(reason))
    return !!r
  }

  private start(row: JobRow) {
    const ctrl = new AbortController()
    this.running.set(row.id, { ctrl, row })
    void this.run(row, ctrl).finally(() => {
      this.running.delete(row.id)
      void this.pump()
    })
  }

  private async run(row: JobRow, ctrl: AbortController): Promise<void> {
    const timeoutMs = this.opts.timeoutMs ?? DEFAULT_TIMEOUT_MS
    let timer: NodeJS.Timeout | undefined
    try {
      const payload = JSON.parse(row.payload)
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const err = new Error(`timed out after ${timeoutMs} ms`)
          ctrl.abort(err)
          reject(err)
        }, timeoutMs)
      })
      const aborted = new Promise<never>((_, reject) => ctrl.signal.addEventListener('abort', () => reject(ctrl.signal.reason), { once: true }))
      const output = await Promise.race([
        Promise.resolve().then(() => this.handler({
          id: row.id, name: row.name, payload, attempt: row.attempt, maxAttempts: row.maxAttempts,
          idempotencyKey: row.id, signal: ctrl.signal,
        })),
        timeout, aborted,
      ])
      this.deps.completer.complete(row.id, output === undefined ? null : JSON.stringify(output))
    } catch (err) {
      if (ctrl.signal.aborted && !(ctrl.signal.reason as Error)?.message?.startsWith('timed out')) return // cancelled or released
      if (err instanceof DeferJob) await this.defer(row, err)
      else await this.fail(row, err)
    } finally {
      clearTimeout(timer)
    }
  }

  private async defer(row: JobRow, d: DeferJob) {
    const now = this.deps.clock.now().getTime()
    try {
      if (await deferJob(this.deps.store, row.id, this.deps.worker, now, d.message.slice(0, 2000), d.runAt)) this.deps.wakeAt(this.name, d.runAt)
    } catch (e) {
      this.deps.onError(e, `deferring a ${this.name} job`)
    }
  }

  private async fail(row: JobRow, err: unknown) {
    const now = this.deps.clock.now().getTime()
    const message = (err instanceof Error ? err.message : String(err)).slice(0, 2000) || 'failed'
    const retryAt = row.attempt < row.maxAttempts ? now + retryDelay(row.attempt, this.opts.backoff) : null
    try {
      await failJob(this.deps.store, row.id, this.deps.worker, now, message, retryAt)
      if (retryAt !== null) this.deps.wakeAt(this.name, retryAt)
    } catch (e) {
      this.deps.onError(e, `recording a failed ${this.name} job`)
    }
  }
}
