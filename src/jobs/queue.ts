// JobQueue: `app.jobs` — define handlers, enqueue transactionally, inspect/retry/cancel/purge, start and drain workers.
import { formatDate, type Clock } from '../core/clock.ts'
import { badRequest } from '../core/errors.ts'
import { newRecordId } from '../core/ids.ts'
import type { Store } from '../store/types.ts'
import { openScope } from '../store/tx-scope.ts'
import { Completer } from './completer.ts'
import {
  cancelJob, countByState, countJobs, extendLeases, findPendingByKey, getJob, insertJobs, JOBS_CHANNEL, listJobs, purgeJobs,
  notifyWorkers, reapExpired, releaseJobs, retryJob, type JobRow, type ListFilter, type NewJob,
} from './job-sql.ts'
import { PgListener } from './pg-listener.ts'
import { QueueWorker } from './worker.ts'
import { FINISHED_STATES, JOB_STATES, type DefineOptions, type EnqueueOptions, type Job, type JobCounts, type JobHandler, type JobState } from './types.ts'
import { ErrorCode } from '../core/error-codes.ts'

export interface JobQueueOptions {
  store: Store
  clock: Clock
  /** Lease owner id of this node's workers. */
  nodeId: string
  /** PostgreSQL URL for the LISTEN connection (null on SQLite: wake-ups stay in-process). */
  databaseUrl: string | null
  /** How long a claimed job stays leased without a heartbeat. */
  leaseMs: number
  /** Safety-net poll: delayed jobs, retries and lost notifications are found within this period. */
  pollMs: number
  onError(err: unknown, context: string): void
}

export interface ListOptions extends ListFilter { page?: number; perPage?: number; sort?: string }
export interface JobList { page: number; perPage: number; totalItems: number; totalPages: number; items: Job[] }

const NAME = /^[\w.:-]{1,100}$/
/** Most jobs written by one group commit. */
const MAX_BATCH = 500
export const DEFAULT_MAX_ATTEMPTS = 3
const date = (ms: number | null) => (ms == null ? '' : formatDate(new Date(ms)))

function toJob(r: JobRow): Job {
  return {
    id: r.id, name: r.name, payload: JSON.parse(r.payload), state: r.state, priority: r.priority, attempt: r.attempt, maxAttempts: r.maxAttempts,
    uniqueKey: r.uniqueKey ?? '', runAt: date(r.runAt), startedAt: date(r.startedAt), finishedAt: date(r.finishedAt), lastError: r.lastError,
    output: r.output == null ? null : JSON.parse(r.output), worker: r.worker, created: date(r.created), updated: date(r.updated),
  }
}

function toMs(v: Date | string | number): number {
  const ms = v instanceof Date ? v.getTime() : typeof v === 'number' ? v : Date.parse(v.includes('T') ? v : v.replace(' ', 'T'))
  if (!Number.isFinite(ms)) throw badRequest('Invalid job runAt.')
  return ms
}

export class JobQueue {
  private readonly workers = new Map<string, QueueWorker>()
  private readonly completer: Completer
  private readonly pg: boolean
  private listener: PgListener | null = null
  private poll: NodeJS.Timeout | null = null
  private heartbeat: NodeJS.Timeout | null = null
  private running = false
  private readonly pending: { job: NewJob; resolve(id: string): void; reject(err: unknown): void }[] = []

  constructor(private readonly o: JobQueueOptions) {
    this.pg = o.store.dialect.name === 'postgres'
    this.completer = new Completer(o.store, o.clock, o.nodeId, (err) => o.onError(err, 'recording completed jobs'))
  }

  /** Registers (or replaces) the handler of `name`; this node runs such jobs from now on. */
  define<P = unknown>(name: string, handler: JobHandler<P>, opts: DefineOptions = {}): void {
    if (!NAME.test(name)) throw new Error(`invalid job name ${JSON.stringify(name)} (letters, digits, _ . : -, at most 100)`)
    const existing = this.workers.get(name)
    if (existing) { existing.redefine(handler as JobHandler, opts); return }
    const worker = new QueueWorker(name, handler as JobHandler, opts, {
      store: this.o.store, clock: this.o.clock, worker: this.o.nodeId, leaseMs: this.o.leaseMs, completer: this.completer,
      onError: this.o.onError, wakeAt: (n, at) => this.wakeAt(n, at),
    })
    this.workers.set(name, worker)
    if (this.running) { this.ensureListening(); void worker.pump() }
  }

  /** Is `name` defined on this node? */
  defined(name: string): boolean { return this.workers.has(name) }
  get names(): string[] { return [...this.workers.keys()] }

  /**
   * Adds a job. Inside a transaction (a record hook, `store.transaction`, `app.runInTransaction`) it joins
   * it: the job exists only if that transaction commits. Returns the job id — with `uniqueKey`, the id of
   * the job already queued or active under that key, if any.
   */
  async enqueue(name: string, payload: unknown = null, opts: EnqueueOptions = {}): Promise<string> {
    if (!NAME.test(name)) throw badRequest('Invalid job name.')
    const text = JSON.stringify(payload ?? null)
    if (text === undefined) throw badRequest('The job payload must be JSON-serializable.')
    const def = this.workers.get(name)?.options
    const now = this.o.clock.now().getTime()
    const runAt = opts.runAt !== undefined ? toMs(opts.runAt) : now + Math.max(0, opts.delayMs ?? 0)
    const maxAttempts = Math.max(1, Math.floor(opts.maxAttempts ?? def?.maxAttempts ?? DEFAULT_MAX_ATTEMPTS))
    const job: NewJob = {
      id: newRecordId(), name, payload: text, priority: Math.floor(opts.priority ?? def?.priority ?? 0), maxAttempts,
      uniqueKey: opts.uniqueKey ?? null, runAt, now,
    }
    // Inside a transaction: join it. Outside: group-commit with the other enqueues of this event-loop turn.
    if (openScope(this.o.store)) return (await this.insert([job]))[0]
    return new Promise<string>((resolve, reject) => {
      this.pending.push({ job, resolve, reject })
      if (this.pending.length === 1) setImmediate(() => void this.flushPending())
    })
  }

  private async flushPending() {
    const batch = this.pending.splice(0, MAX_BATCH)
    if (this.pending.length) setImmediate(() => void this.flushPending())
    try {
      const ids = await this.insert(batch.map((b) => b.job))
      batch.forEach((b, i) => b.resolve(ids[i]))
    } catch (err) {
      for (const b of batch) b.reject(err)
    }
  }

  /** Inserts in one transaction (joining the caller's); returns each job's id or that of the job holding its unique key. */
  private insert(jobs: NewJob[]): Promise<string[]> {
    return this.o.store.transaction(async (tx) => {
      const inserted = await insertJobs(tx, this.pg, jobs)
      const names = new Map<string, number>()
      for (const j of jobs) if (inserted.has(j.id)) names.set(j.name, Math.min(names.get(j.name) ?? Infinity, j.runAt))
      this.o.store.afterCommit(() => { for (const [name, runAt] of names) this.wakeAt(name, runAt) })
      const out: string[] = []
      for (const j of jobs) {
        if (inserted.has(j.id)) { out.push(j.id); continue }
        // Deduplicated by its unique key: the holder's id. (If the holder finished meanwhile, insert again.)
        let existing = await findPendingByKey(tx, j.name, j.uniqueKey!)
        if (!existing && (await insertJobs(tx, this.pg, [j])).size) existing = j.id
        out.push(existing ?? j.id)
      }
      return out
    })
  }

  async get(id: string): Promise<Job | null> {
    const row = await getJob(this.o.store, id)
    return row ? toJob(row) : null
  }

  async list(opts: ListOptions = {}): Promise<JobList> {
    if (opts.state && !JOB_STATES.includes(opts.state)) throw badRequest('Invalid job state filter.', { state: { code: ErrorCode.invalidValue, message: `Must be one of ${JOB_STATES.join(', ')}.` } })
    if (opts.sort && opts.sort !== 'created' && opts.sort !== '-created') throw badRequest('Invalid sort: use created or -created.')
    const page = Math.max(1, Math.floor(opts.page ?? 1))
    const perPage = Math.min(1000, Math.max(1, Math.floor(opts.perPage ?? 30)))
    const filter = { state: opts.state, name: opts.name }
    const [totalItems, rows] = await Promise.all([
      countJobs(this.o.store, filter),
      listJobs(this.o.store, filter, perPage, (page - 1) * perPage, opts.sort !== 'created'),
    ])
    return { page, perPage, totalItems, totalPages: Math.ceil(totalItems / perPage), items: rows.map(toJob) }
  }

  /** Counts per state, in total and per job name. */
  async stats(): Promise<{ total: JobCounts; names: Record<string, JobCounts> }> {
    const zero = (): JobCounts => Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as JobCounts
    const total = zero()
    const names: Record<string, JobCounts> = {}
    for (const r of await countByState(this.o.store)) {
      if (!JOB_STATES.includes(r.state)) continue
      total[r.state] += r.n
      ;(names[r.name] ??= zero())[r.state] += r.n
    }
    return { total, names }
  }

  /** Runs a failed, cancelled or completed job again now, with a fresh set of attempts. */
  async retry(id: string): Promise<boolean> {
    const row = await getJob(this.o.store, id)
    if (!row || !(await retryJob(this.o.store, id, this.o.clock.now().getTime()))) return false
    await this.notify(row.name)
    return true
  }

  /** Cancels a queued or active job. An attempt running on this node is aborted; elsewhere its result is ignored. */
  async cancel(id: string): Promise<boolean> {
    if (!(await cancelJob(this.o.store, id, this.o.clock.now().getTime()))) return false
    for (const w of this.workers.values()) w.abort(id, 'cancelled')
    return true
  }

  /** Deletes finished jobs (completed, failed, cancelled), optionally of one state/name or finished before a time. */
  async purge(opts: { state?: JobState; name?: string; finishedBefore?: number } = {}): Promise<number> {
    if (opts.state && !FINISHED_STATES.includes(opts.state)) throw badRequest('Only finished jobs can be purged.', { state: { code: ErrorCode.invalidValue, message: `Must be one of ${FINISHED_STATES.join(', ')}.` } })
    return purgeJobs(this.o.store, opts.state ? [opts.state] : FINISHED_STATES, opts.finishedBefore, opts.name)
  }

  /** Resolves with the job once it is in one of `states` (tests, scripts). */
  async waitFor(id: string, states: JobState | JobState[] = ['completed', 'failed', 'cancelled'], timeoutMs = 10_000): Promise<Job> {
    const want = Array.isArray(states) ? states : [states]
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const job = await this.get(id)
      if (job && want.includes(job.state)) return job
      if (Date.now() > deadline) throw new Error(`job ${id} did not reach ${want.join('|')} within ${timeoutMs} ms (now ${job?.state ?? 'missing'})`)
      await new Promise((r) => setTimeout(r, 10))
    }
  }

  /** Starts the workers of every defined name (and those defined later). */
  start(): void {
    if (this.running) return
    this.running = true
    this.poll = setInterval(() => void this.tick(), this.o.pollMs)
    this.poll.unref()
    this.heartbeat = setInterval(() => void this.renew(), Math.max(50, Math.floor(this.o.leaseMs / 3)))
    this.heartbeat.unref()
    if (this.workers.size) this.ensureListening()
    for (const w of this.workers.values()) void w.pump()
  }

  /**
   * Graceful shutdown: stop claiming, let running attempts finish within `graceMs`, then abort the rest
   * and give them back to the queue (their attempt does not count), so another node runs them at once.
   */
  async stop(graceMs: number): Promise<void> {
    if (!this.running) return
    this.running = false
    if (this.poll) clearInterval(this.poll)
    for (const w of this.workers.values()) w.stop()
    const deadline = Date.now() + graceMs
    while (this.activeIds().length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
    const rest = this.activeIds()
    for (const w of this.workers.values()) for (const id of rest) w.abort(id, 'shutdown')
    await this.completer.flush()
    if (this.heartbeat) clearInterval(this.heartbeat)
    await releaseJobs(this.o.store, rest, this.o.nodeId, this.o.clock.now().getTime()).catch((err) => this.o.onError(err, 'releasing jobs at shutdown'))
    await this.listener?.close()
    this.listener = null
  }

  private activeIds(): string[] {
    return [...this.workers.values()].flatMap((w) => [...w.running.keys()])
  }

  private wake(name?: string) {
    if (!this.running) return
    if (name) void this.workers.get(name)?.pump()
    else for (const w of this.workers.values()) void w.pump()
  }

  private wakeAt(name: string, at: number) {
    const wait = at - this.o.clock.now().getTime()
    if (wait <= 0) return this.wake(name)
    // Beyond the poll period the poll finds it anyway.
    if (wait > this.o.pollMs) return
    setTimeout(() => this.wake(name), wait + 1).unref()
  }

  /** Wakes workers here and (PostgreSQL) on the other nodes. */
  private async notify(name: string) {
    if (this.pg) await notifyWorkers(this.o.store, name)
    this.wake(name)
  }

  private ensureListening() {
    if (!this.pg || this.listener || !this.o.databaseUrl) return
    this.listener = new PgListener(this.o.databaseUrl, JOBS_CHANNEL, (name) => this.wake(name || undefined),
      (err) => this.o.onError(err, 'jobs LISTEN connection'))
  }

  private async tick() {
    if (!this.workers.size) return
    try {
      if (await reapExpired(this.o.store, this.o.clock.now().getTime())) this.wake()
    } catch (err) { this.o.onError(err, 'reaping expired job leases') }
    this.wake()
  }

  private async renew() {
    const ids = this.activeIds()
    if (!ids.length) return
    try { await extendLeases(this.o.store, ids, this.o.nodeId, this.o.clock.now().getTime() + this.o.leaseMs) } catch (err) { this.o.onError(err, 'renewing job leases') }
  }
}
