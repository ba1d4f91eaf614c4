// WorkflowEngine: `app.workflows` — durable sagas on top of jobs: each step is a job, state lives in `_workflows`.
import { formatDate, type Clock } from '../../core/clock.ts'
import { badRequest } from '../../core/errors.ts'
import { newRecordId } from '../../core/ids.ts'
import { sql } from '../../store/sql.ts'
import type { Executor, Store } from '../../store/types.ts'
import type { JobQueue } from '../queue.ts'
import type { JobContext } from '../types.ts'
import { insertWorkflow, listWorkflows, loadWorkflow, saveWorkflow, type WorkflowRow } from './workflow-sql.ts'
import { WORKFLOW_STATES, type RunStep, type Step, type StepContext, type Workflow, type WorkflowDefinition, type WorkflowState } from './types.ts'

/** One job per step attempt: run step i, compensate step i, or the wait timeout of step i. */
interface StepJob { workflowId: string; step: number; kind: 'run' | 'compensate' | 'timeout' }

const NAME = /^[\w.-]{1,80}$/
const jobName = (workflow: string) => `workflow:${workflow}`
const isRun = (s: Step | undefined): s is RunStep => !!s && 'run' in s
const message = (err: unknown) => (err instanceof Error ? err.message : String(err)).slice(0, 2000) || 'failed'

export class WorkflowEngine {
  private readonly defs = new Map<string, WorkflowDefinition>()

  constructor(private readonly store: Store, private readonly jobs: JobQueue, private readonly clock: Clock) {}

  /** Registers a workflow; every node that should run its steps defines it (hooks files do, on every node). */
  define<I = any>(name: string, def: WorkflowDefinition<I>): void {
    if (!NAME.test(name)) throw new Error(`invalid workflow name ${JSON.stringify(name)}`)
    const names = new Set<string>()
    for (const s of def.steps) {
      if (!s.name || names.has(s.name)) throw new Error(`workflow ${name}: step names must be unique and non-empty (${JSON.stringify(s.name)})`)
      names.add(s.name)
    }
    this.defs.set(name, def as WorkflowDefinition)
    this.jobs.define<StepJob>(jobName(name), (job) => this.handle(name, job), {
      backoff: def.backoff, concurrency: def.concurrency, timeoutMs: 24 * 60 * 60 * 1000,
    })
  }

  /** Starts a workflow (joins the caller's transaction, like enqueue); returns its id. */
  async start(name: string, input: unknown = null): Promise<string> {
    const def = this.def(name)
    const id = newRecordId()
    await this.store.transaction(async (tx) => {
      await insertWorkflow(tx, { id, name, input: JSON.stringify(input ?? null) }, this.now())
      await this.enqueueStep(name, def, { workflowId: id, step: 0, kind: 'run' })
    })
    return id
  }

  /**
   * Delivers an event. A workflow waiting for it moves on; one that has not reached the wait yet keeps it
   * for when it does. False when the workflow does not exist or has finished.
   */
  async signal(id: string, signalName: string, data: unknown = null): Promise<boolean> {
    return this.store.transaction(async (tx) => {
      const wf = await this.lock(tx, id)
      if (!wf || !['running', 'waiting'].includes(wf.state)) return false
      const signals = JSON.parse(wf.signals)
      signals[signalName] = data ?? null
      wf.signals = JSON.stringify(signals)
      if (wf.state === 'waiting' && wf.waitingFor === signalName) await this.advance(tx, wf, data ?? null)
      else await saveWorkflow(tx, wf, this.now())
      return true
    })
  }

  /** Stops a running or waiting workflow without compensating. */
  async cancel(id: string): Promise<boolean> {
    return this.store.transaction(async (tx) => {
      const wf = await this.lock(tx, id)
      if (!wf || !['running', 'waiting'].includes(wf.state)) return false
      await saveWorkflow(tx, { ...wf, state: 'cancelled', waitingFor: '' }, this.now())
      return true
    })
  }

  async get(id: string): Promise<Workflow | null> {
    const row = await loadWorkflow(this.store, id)
    return row ? this.view(row) : null
  }

  async list(opts: { state?: WorkflowState; name?: string; page?: number; perPage?: number } = {}) {
    if (opts.state && !WORKFLOW_STATES.includes(opts.state)) throw badRequest('Invalid workflow state filter.')
    const page = Math.max(1, Math.floor(opts.page ?? 1))
    const perPage = Math.min(1000, Math.max(1, Math.floor(opts.perPage ?? 30)))
    const { rows, total } = await listWorkflows(this.store, opts, perPage, (page - 1) * perPage)
    return { page, perPage, totalItems: total, totalPages: Math.ceil(total / perPage), items: rows.map((r) => this.view(r)) }
  }

  // --- step execution ---

  private async handle(name: string, job: JobContext<StepJob>): Promise<void> {
    const def = this.def(name)
    const { workflowId, step, kind } = job.payload
    const wf = await loadWorkflow(this.store, workflowId)
    if (!wf || wf.step !== step) return // a duplicate delivery of a step already done
    if (kind === 'timeout') {
      if (wf.state === 'waiting') await this.fail(def, wf, `timed out waiting for ${wf.waitingFor}`)
      return
    }
    if (kind === 'compensate') return this.compensate(def, wf, job)
    if (wf.state !== 'running') return
    const s = def.steps[step]
    if (!s) return this.store.transaction(async (tx) => saveWorkflow(tx, { ...wf, state: 'completed' }, this.now()))
    if ('waitFor' in s) return this.wait(def, wf, s.waitFor, s.timeoutMs)
    if ('sleepMs' in s) return this.store.transaction(async (tx) => { const w = await this.lock(tx, workflowId); if (w?.step === step) await this.advance(tx, w, null, s.sleepMs) })
    let result: unknown
    try {
      result = await this.runWithTimeout(s.run.bind(s), this.context(wf, s.name, job), s.timeoutMs)
    } catch (err) {
      if (job.attempt < job.maxAttempts) throw err // the job retries this step with backoff
      return this.fail(def, wf, `step ${s.name} failed: ${message(err)}`)
    }
    await this.store.transaction(async (tx) => {
      const w = await this.lock(tx, workflowId)
      if (w && w.state === 'running' && w.step === step) await this.advance(tx, w, result ?? null)
    })
  }

  private async wait(def: WorkflowDefinition, wf: WorkflowRow, signalName: string, timeoutMs?: number) {
    await this.store.transaction(async (tx) => {
      const w = await this.lock(tx, wf.id)
      if (!w || w.state !== 'running' || w.step !== wf.step) return
      const signals = JSON.parse(w.signals)
      if (Object.hasOwn(signals, signalName)) return this.advance(tx, w, signals[signalName])
      await saveWorkflow(tx, { ...w, state: 'waiting', waitingFor: signalName }, this.now())
      if (timeoutMs) await this.enqueueStep(w.name, def, { workflowId: w.id, step: w.step, kind: 'timeout' }, this.now() + timeoutMs)
    })
  }

  /** Records the current step's result and schedules the next step (or completes), in the caller's transaction. */
  private async advance(tx: Executor, wf: WorkflowRow, result: unknown, delayMs = 0) {
    const def = this.def(wf.name)
    const results = JSON.parse(wf.results)
    results[def.steps[wf.step].name] = result
    const next = wf.step + 1
    const done = next >= def.steps.length
    await saveWorkflow(tx, { ...wf, results: JSON.stringify(results), step: next, state: done ? 'completed' : 'running', waitingFor: '' }, this.now())
    if (!done) await this.enqueueStep(wf.name, def, { workflowId: wf.id, step: next, kind: 'run' }, this.now() + delayMs)
  }

  /** A step failed for good: compensate the completed steps, newest first. */
  private async fail(def: WorkflowDefinition, wf: WorkflowRow, error: string) {
    await this.store.transaction(async (tx) => {
      const w = await this.lock(tx, wf.id)
      if (!w || !['running', 'waiting'].includes(w.state) || w.step !== wf.step) return
      await this.compensateFrom(tx, def, { ...w, error, waitingFor: '' }, w.step - 1)
    })
  }

  /** Moves to the next completed step (at or below `from`) that has a compensation, or ends compensated. */
  private async compensateFrom(tx: Executor, def: WorkflowDefinition, wf: WorkflowRow, from: number) {
    let k = from
    while (k >= 0 && !(isRun(def.steps[k]) && (def.steps[k] as RunStep).compensate)) k--
    const state: WorkflowState = k < 0 ? 'compensated' : 'compensating'
    await saveWorkflow(tx, { ...wf, state, step: Math.max(k, 0) }, this.now())
    if (k >= 0) await this.enqueueStep(wf.name, def, { workflowId: wf.id, step: k, kind: 'compensate' })
  }

  private async compensate(def: WorkflowDefinition, wf: WorkflowRow, job: JobContext<StepJob>) {
    if (wf.state !== 'compensating') return
    const s = def.steps[wf.step] as RunStep
    try {
      await this.runWithTimeout(s.compensate!.bind(s), { ...this.context(wf, s.name, job), error: wf.error }, s.timeoutMs)
    } catch (err) {
      if (job.attempt < job.maxAttempts) throw err
      // Compensation itself failed for good: stop here, visible as failed, for an operator to resolve.
      return this.store.transaction(async (tx) => saveWorkflow(tx, { ...wf, state: 'failed', error: `${wf.error}; compensation of ${s.name} failed: ${message(err)}` }, this.now()))
    }
    await this.store.transaction(async (tx) => {
      const w = await this.lock(tx, wf.id)
      if (w && w.state === 'compensating' && w.step === wf.step) await this.compensateFrom(tx, def, w, w.step - 1)
    })
  }

  private async runWithTimeout<T>(fn: (ctx: StepContext) => T, ctx: StepContext, timeoutMs?: number): Promise<Awaited<T>> {
    if (!timeoutMs) return await fn(ctx)
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs) })
    try { return await Promise.race([Promise.resolve().then(() => fn(ctx)), timeout]) } finally { clearTimeout(timer) }
  }

  private context(wf: WorkflowRow, stepName: string, job: JobContext<StepJob>): StepContext {
    return {
      workflowId: wf.id, input: JSON.parse(wf.input), results: JSON.parse(wf.results), attempt: job.attempt,
      idempotencyKey: `${wf.id}:${stepName}`, signal: job.signal,
    }
  }

  private enqueueStep(name: string, def: WorkflowDefinition, p: StepJob, runAt?: number) {
    const s = def.steps[p.step]
    const maxAttempts = p.kind === 'timeout' ? 3 : (isRun(s) ? s.maxAttempts : undefined) ?? 3
    return this.jobs.enqueue(jobName(name), p, { maxAttempts, runAt })
  }

  private lock(tx: Executor, id: string) {
    return loadWorkflow(tx, id, this.store.dialect.name === 'postgres' ? sql.raw(' FOR UPDATE') : sql.empty)
  }

  private def(name: string): WorkflowDefinition {
    const d = this.defs.get(name)
    if (!d) throw badRequest(`Unknown workflow ${JSON.stringify(name)}.`)
    return d
  }

  private now() { return this.clock.now().getTime() }

  private view(r: WorkflowRow): Workflow {
    const def = this.defs.get(r.name)
    const done = ['completed', 'compensated', 'cancelled'].includes(r.state)
    return {
      id: r.id, name: r.name, state: r.state, input: JSON.parse(r.input), step: r.step, stepName: done ? '' : def?.steps[r.step]?.name ?? '',
      waitingFor: r.waitingFor, results: JSON.parse(r.results), error: r.error,
      created: formatDate(new Date(r.created)), updated: formatDate(new Date(r.updated)),
    }
  }
}
