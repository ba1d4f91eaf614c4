// Job routes (superusers only): list, stats, view, retry, cancel and purge jobs — /api/jobs.
import type { FastifyPluginAsync } from 'fastify'
import type { App } from '../../app.ts'
import { badRequest, notFound } from '../../core/errors.ts'
import { parseListQuery } from '../../core/records/list-query.ts'
import { JOB_STATES, type JobState } from '../../jobs/types.ts'
import { requireSuperuser } from '../context.ts'
import { ErrorCode } from '../../core/error-codes.ts'

type Query = Record<string, string | undefined>
type Params = { id: string }

function stateParam(raw: string | undefined): JobState | undefined {
  if (raw === undefined || raw === '') return undefined
  if (!JOB_STATES.includes(raw as JobState)) throw badRequest('Invalid job state.', { state: { code: ErrorCode.invalidValue, message: `Must be one of ${JOB_STATES.join(', ')}.` } })
  return raw as JobState
}

export const jobRoutes: FastifyPluginAsync<{ app: App }> = async (f, { app }) => {
  // preParsing: refused before the body is read (a guest cannot make the server buffer 2 MB first).
  f.addHook('preParsing', async (req) => requireSuperuser(req))
  const missing = () => notFound('Missing or invalid job.')

  f.get('/api/jobs', async (req) => {
    const q = req.query as Query
    const { page, perPage } = parseListQuery(q)
    return app.jobs.list({ page, perPage, state: stateParam(q.state), name: q.name || undefined, sort: q.sort || undefined })
  })

  f.get('/api/jobs/stats', async () => app.jobs.stats())

  f.get<{ Params: Params }>('/api/jobs/:id', async (req) => (await app.jobs.get(req.params.id)) ?? Promise.reject(missing()))

  f.post<{ Params: Params }>('/api/jobs/:id/retry', async (req) => {
    const job = await app.jobs.get(req.params.id)
    if (!job) throw missing()
    if (!(await app.jobs.retry(job.id))) throw badRequest('Only completed, failed or cancelled jobs can be retried.')
    return app.jobs.get(job.id)
  })

  f.post<{ Params: Params }>('/api/jobs/:id/cancel', async (req) => {
    const job = await app.jobs.get(req.params.id)
    if (!job) throw missing()
    if (!(await app.jobs.cancel(job.id))) throw badRequest('Only queued or active jobs can be cancelled.')
    return app.jobs.get(job.id)
  })

  // Purge: finished jobs only (state=completed|failed|cancelled, default all three), optionally by name.
  f.delete('/api/jobs', async (req) => {
    const q = req.query as Query
    return { deleted: await app.jobs.purge({ state: stateParam(q.state), name: q.name || undefined }) }
  })
}
