// Jobs, cron and retention settings (part of Config as `jobs`), with their BASALT_* environment overrides.

export interface JobsConfig {
  /** How long a claimed job stays leased without a heartbeat: a killed node's jobs run again after it. */
  leaseMs: number
  /** Safety-net poll for delayed jobs, retries and missed wake-ups; also the lease reaper's period. */
  pollMs: number
  /** Finished jobs (and cron run records) are deleted this long after they finished; 0 = keep. */
  retentionMs: number
  /** `_audit` rows older than this are deleted; 0 = keep forever. */
  auditRetentionMs: number
  /** Outbox events older than this that every consumer has passed are deleted (`app.outbox.prune`). */
  eventsRetentionMs: number
  /** false: this node neither runs jobs nor cron ticks (it still enqueues). */
  workers: boolean
}

const DAY = 24 * 60 * 60 * 1000

export const DEFAULT_JOBS_CONFIG: JobsConfig = {
  leaseMs: 30_000,
  pollMs: 1000,
  retentionMs: 7 * DAY,
  auditRetentionMs: 90 * DAY,
  eventsRetentionMs: 7 * DAY,
  workers: true,
}

function int(name: string, raw: string, min: number): number {
  if (!/^\d+$/.test(raw) || Number(raw) < min) throw new Error(`${name} must be an integer ≥ ${min}, got ${JSON.stringify(raw)}`)
  return Number(raw)
}

/** BASALT_JOBS_LEASE_MS, BASALT_JOBS_POLL_MS, BASALT_JOBS_RETENTION_DAYS, BASALT_AUDIT_RETENTION_DAYS, BASALT_EVENTS_RETENTION_DAYS, BASALT_JOBS_WORKERS. */
export function jobsConfigFromEnv(env: NodeJS.ProcessEnv): JobsConfig | undefined {
  const keys = ['BASALT_JOBS_LEASE_MS', 'BASALT_JOBS_POLL_MS', 'BASALT_JOBS_RETENTION_DAYS', 'BASALT_AUDIT_RETENTION_DAYS', 'BASALT_EVENTS_RETENTION_DAYS', 'BASALT_JOBS_WORKERS']
  if (!keys.some((k) => env[k] !== undefined)) return undefined
  const c = { ...DEFAULT_JOBS_CONFIG }
  if (env.BASALT_JOBS_LEASE_MS) c.leaseMs = int('BASALT_JOBS_LEASE_MS', env.BASALT_JOBS_LEASE_MS, 100)
  if (env.BASALT_JOBS_POLL_MS) c.pollMs = int('BASALT_JOBS_POLL_MS', env.BASALT_JOBS_POLL_MS, 10)
  if (env.BASALT_JOBS_RETENTION_DAYS) c.retentionMs = int('BASALT_JOBS_RETENTION_DAYS', env.BASALT_JOBS_RETENTION_DAYS, 0) * DAY
  if (env.BASALT_AUDIT_RETENTION_DAYS) c.auditRetentionMs = int('BASALT_AUDIT_RETENTION_DAYS', env.BASALT_AUDIT_RETENTION_DAYS, 0) * DAY
  if (env.BASALT_EVENTS_RETENTION_DAYS) c.eventsRetentionMs = int('BASALT_EVENTS_RETENTION_DAYS', env.BASALT_EVENTS_RETENTION_DAYS, 0) * DAY
  if (env.BASALT_JOBS_WORKERS) c.workers = !['false', '0', 'off'].includes(env.BASALT_JOBS_WORKERS.toLowerCase())
  return c
}
