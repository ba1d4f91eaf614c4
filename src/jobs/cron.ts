// CronScheduler: `app.cronAdd/cronRemove` — croner computes the ticks, a `_cronRuns` row makes each tick run once per cluster.
import { Cron } from 'croner'
import type { Clock } from '../core/clock.ts'
import type { Store } from '../store/types.ts'
import { claimTick, finishTick, lastTick, listRuns, type CronRun } from './cron-sql.ts'

export interface CronContext { id: string; /** The scheduled time of this tick (the manual run time for run-now). */ tick: Date; manual: boolean }
export type CronHandler = (e: CronContext) => unknown | Promise<unknown>
export interface CronOptions { /** IANA time zone the expression is read in (default UTC). */ timezone?: string }

interface Entry { id: string; expression: string; pattern: Cron; handler: CronHandler; timer: NodeJS.Timeout | null; timezone?: string }

export interface CronSchedulerOptions {
  store: Store
  clock: Clock
  nodeId: string
  onError(err: unknown, context: string): void
}

const ID = /^[\w.:-]{1,100}$/
/** Most missed ticks recorded per cron at start-up (a per-second cron down for a day would be 86,400). */
const MAX_MISSED = 100
/** A tick younger than this may be running on a live node right now: not counted as missed at start-up. */
const MISSED_GRACE_MS = 5000
/** setTimeout's limit is ~24.8 days; longer waits re-arm. */
const MAX_WAIT_MS = 2 ** 31 - 1

export class CronScheduler {
  private readonly entries = new Map<string, Entry>()
  private running = false
  private readonly active = new Set<Promise<unknown>>()

  constructor(private readonly o: CronSchedulerOptions) {}

  /** Registers (or replaces) a cron job. Expressions: 5 fields (minute…) or 6 (second…), croner syntax, macros like @hourly. */
  add(id: string, expression: string, handler: CronHandler, opts: CronOptions = {}): void {
    if (!ID.test(id)) throw new Error(`invalid cron id ${JSON.stringify(id)} (letters, digits, _ . : -, at most 100)`)
    let pattern: Cron
    try { pattern = new Cron(expression, { timezone: opts.timezone, mode: 'auto' }) } catch (err) {
      throw new Error(`invalid cron expression ${JSON.stringify(expression)}: ${(err as Error).message}`)
    }
    this.remove(id)
    const entry: Entry = { id, expression, pattern, handler, timer: null, timezone: opts.timezone }
    this.entries.set(id, entry)
    if (this.running) void this.begin(entry)
  }

  remove(id: string): void {
    const e = this.entries.get(id)
    if (e?.timer) clearTimeout(e.timer)
    this.entries.delete(id)
  }

  /** PocketBase's `GET /api/crons` shape: app jobs by id, system (`__`-prefixed) jobs last. */
  list(): { id: string; expression: string }[] {
    const sys = (id: string) => id.startsWith('__')
    return [...this.entries.values()]
      .sort((a, b) => Number(sys(a.id)) - Number(sys(b.id)) || a.id.localeCompare(b.id))
      .map((e) => ({ id: e.id, expression: e.expression }))
  }

  has(id: string): boolean { return this.entries.has(id) }

  /** When the job fires next (computed in its time zone), or null. */
  nextRun(id: string): Date | null { return this.entries.get(id)?.pattern.nextRun(this.o.clock.now()) ?? null }

  /** The recorded ticks of a cron job, newest first (running, completed, failed, missed). */
  runs(id: string, limit?: number): Promise<CronRun[]> { return listRuns(this.o.store, id, limit) }

  /** Runs a job now, on this node, outside its schedule (`POST /api/crons/{id}`); false when unknown. */
  runNow(id: string): boolean {
    const e = this.entries.get(id)
    if (!e) return false
    this.track(Promise.resolve().then(() => e.handler({ id, tick: this.o.clock.now(), manual: true }))
      .catch((err) => this.o.onError(err, `cron ${id} (run now)`)))
    return true
  }

  start(): void {
    if (this.running) return
    this.running = true
    for (const e of this.entries.values()) void this.begin(e)
  }

  /** Stops scheduling; waits up to `graceMs` for ticks that are running. */
  async stop(graceMs: number): Promise<void> {
    this.running = false
    for (const e of this.entries.values()) if (e.timer) { clearTimeout(e.timer); e.timer = null }
    const all = Promise.allSettled([...this.active])
    await Promise.race([all, new Promise((r) => setTimeout(r, graceMs).unref())])
  }

  private track(p: Promise<unknown>) {
    this.active.add(p)
    void p.finally(() => this.active.delete(p))
  }

  /** Records ticks missed while no node ran (after the last recorded one), then schedules. */
  private async begin(e: Entry) {
    try {
      const last = await lastTick(this.o.store, e.id)
      const now = this.o.clock.now().getTime()
      if (last !== null) {
        const missed = e.pattern.nextRuns(MAX_MISSED, new Date(last)).map((d) => d.getTime()).filter((t) => t < now - MISSED_GRACE_MS)
        for (const t of missed) await claimTick(this.o.store, e.id, t, 'missed', this.o.nodeId, now)
      }
    } catch (err) { this.o.onError(err, `cron ${e.id}: recording missed ticks`) }
    this.schedule(e, this.o.clock.now().getTime())
  }

  private schedule(e: Entry, from: number) {
    if (!this.running || this.entries.get(e.id) !== e) return
    const next = e.pattern.nextRun(new Date(from))
    if (!next) return
    const tick = next.getTime()
    const wait = tick - this.o.clock.now().getTime()
    e.timer = setTimeout(() => {
      e.timer = null
      if (wait > MAX_WAIT_MS) return this.schedule(e, this.o.clock.now().getTime())
      this.track(this.fire(e, tick))
      // Timers can fire a little early: never schedule the same tick twice.
      this.schedule(e, Math.max(tick, this.o.clock.now().getTime()))
    }, Math.min(Math.max(0, wait), MAX_WAIT_MS))
    e.timer.unref()
  }

  private async fire(e: Entry, tick: number) {
    const { store, clock, nodeId } = this.o
    try {
      if (!(await claimTick(store, e.id, tick, 'running', nodeId, clock.now().getTime()))) return
    } catch (err) { return this.o.onError(err, `cron ${e.id}: claiming tick`) }
    let error: string | null = null
    try { await e.handler({ id: e.id, tick: new Date(tick), manual: false }) } catch (err) {
      error = (err instanceof Error ? err.message : String(err)).slice(0, 2000) || 'failed'
      this.o.onError(err, `cron ${e.id}`)
    }
    await finishTick(store, e.id, tick, error, clock.now().getTime()).catch((err) => this.o.onError(err, `cron ${e.id}: recording the run`))
  }
}
