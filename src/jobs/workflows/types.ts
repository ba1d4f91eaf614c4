// Workflow (saga) types: a definition is an ordered list of steps; each step runs, waits for a signal, or sleeps.
import type { BackoffOptions } from '../types.ts'

export type WorkflowState = 'running' | 'waiting' | 'completed' | 'compensating' | 'compensated' | 'failed' | 'cancelled'
export const WORKFLOW_STATES: readonly WorkflowState[] = ['running', 'waiting', 'completed', 'compensating', 'compensated', 'failed', 'cancelled']

export interface StepContext<I = any> {
  workflowId: string
  input: I
  /** Results of the steps done so far, by step name (wait steps: the signal's data). */
  results: Record<string, any>
  /** This step's attempt (1-based). */
  attempt: number
  /** `${workflowId}:${stepName}`: the same on every attempt — give it to the services a step calls. */
  idempotencyKey: string
  /** Aborted when the step times out or the node shuts down. */
  signal: AbortSignal
  /** In compensation: why the workflow failed. */
  error?: string
}

interface StepBase { name: string }

export interface RunStep<I = any> extends StepBase {
  run(ctx: StepContext<I>): unknown | Promise<unknown>
  /** Undoes `run` when a later step fails for good; runs in reverse step order. */
  compensate?(ctx: StepContext<I>): unknown | Promise<unknown>
  /** Attempts of this step (and of its compensation) before it fails for good (default 3). */
  maxAttempts?: number
  timeoutMs?: number
}

export interface WaitStep extends StepBase {
  /** Waits for `app.workflows.signal(id, waitFor, data)`; the data becomes this step's result. */
  waitFor: string
  /** Fails the workflow (and compensates) when no signal came in time. */
  timeoutMs?: number
}

export interface SleepStep extends StepBase {
  /** Durable timer: the next step runs no earlier than this many ms later (survives restarts). */
  sleepMs: number
}

export type Step<I = any> = RunStep<I> | WaitStep | SleepStep

export interface WorkflowDefinition<I = any> {
  steps: Step<I>[]
  /** Retry delays of steps and compensations (exponential with jitter by default). */
  backoff?: BackoffOptions
  /** Steps of this workflow running at once on this node (default 5). */
  concurrency?: number
}

export interface Workflow {
  id: string
  name: string
  state: WorkflowState
  input: unknown
  /** Index of the current step (while compensating: of the next step to compensate). */
  step: number
  /** Name of the current step ('' when finished). */
  stepName: string
  waitingFor: string
  results: Record<string, unknown>
  error: string
  created: string
  updated: string
}
