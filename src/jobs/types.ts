// Job queue types: what app code defines and enqueues, what handlers receive, what the API returns.

/** queued (waiting, possibly for runAt / a retry) → active (leased) → completed | failed (dead letter) | cancelled. */
export type JobState = 'queued' | 'active' | 'completed' | 'failed' | 'cancelled'
export const JOB_STATES: readonly JobState[] = ['queued', 'active', 'completed', 'failed', 'cancelled']
/** States a job never leaves on its own (purge and retention apply to them). */
export const FINISHED_STATES: readonly JobState[] = ['completed', 'failed', 'cancelled']

/** What a handler receives for one attempt. */
export interface JobContext<P = unknown> {
  id: string
  name: string
  payload: P
  /** 1 on the first attempt. */
  attempt: number
  maxAttempts: number
  /** Stable across every attempt of this job (its id): pass it to downstream APIs to make retries safe. */
  idempotencyKey: string
  /** Aborted on timeout, cancel, or shutdown past the grace period: stop work and return or throw. */
  signal: AbortSignal
}

export type JobHandler<P = unknown> = (job: JobContext<P>) => unknown | Promise<unknown>

/** Exponential backoff with jitter: delay = base·2^(attempt−1), capped at max, times a random factor in [0.5, 1]. */
export interface BackoffOptions {
  baseMs?: number
  maxMs?: number
  /** false = exact delays (tests); default true. */
  jitter?: boolean
}

export interface DefineOptions {
  /** Attempts in total, first one included (default 3). */
  maxAttempts?: number
  backoff?: BackoffOptions | ((attempt: number) => number)
  /** One attempt's time limit; the attempt fails (and the signal aborts) past it. Default 15 min. */
  timeoutMs?: number
  /** Jobs of this name running at once on this node (default 5). */
  concurrency?: number
  /** Default priority of enqueued jobs: higher runs first (default 0). */
  priority?: number
}

export interface EnqueueOptions {
  /** Run no earlier than this time. */
  runAt?: Date | string | number
  /** Run no earlier than now + delayMs. */
  delayMs?: number
  priority?: number
  /** At most one job per (name, uniqueKey) queued or active: a second enqueue returns the first job's id. */
  uniqueKey?: string
  maxAttempts?: number
}

/** A job as stored and as the superuser API shows it (dates in PocketBase's format, '' when unset). */
export interface Job {
  id: string
  name: string
  payload: unknown
  state: JobState
  priority: number
  attempt: number
  maxAttempts: number
  uniqueKey: string
  runAt: string
  startedAt: string
  finishedAt: string
  lastError: string
  output: unknown
  /** The node holding the lease while active. */
  worker: string
  created: string
  updated: string
}

export type JobCounts = Record<JobState, number>
