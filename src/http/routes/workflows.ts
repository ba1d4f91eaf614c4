// Workflow routes (superusers only): list, view, signal and cancel workflows — /api/workflows.
import type { FastifyPluginAsync } from 'fastify'
import type { App } from '../../app.ts'
import { badRequest, notFound } from '../../core/errors.ts'
import { parseListQuery } from '../../core/records/list-query.ts'
import { WORKFLOW_STATES, type WorkflowState } from '../../jobs/workflows/types.ts'
import { requireSuperuser } from '../context.ts'
import { ErrorCode } from '../../core/error-codes.ts'

type Query = Record<string, string | undefined>
type Params = { id: string }

export const workflowRoutes: FastifyPluginAsync<{ app: App }> = async (f, { app }) => {
  // preParsing: refused before the body is read (a guest cannot make the server buffer 2 MB first).
  f.addHook('preParsing', async (req) => requireSuperuser(req))
  const missing = () => notFound('Missing or invalid workflow.')

  f.get('/api/workflows', async (req) => {
    const q = req.query as Query
    const { page, perPage } = parseListQuery(q)
    if (q.state && !WORKFLOW_STATES.includes(q.state as WorkflowState)) throw badRequest('Invalid workflow state.')
    return app.workflows.list({ page, perPage, state: (q.state || undefined) as WorkflowState | undefined, name: q.name || undefined })
  })

  f.get<{ Params: Params }>('/api/workflows/:id', async (req) => (await app.workflows.get(req.params.id)) ?? Promise.reject(missing()))

  // Body: {"name": "<signal>", "data": <any JSON>}.
  f.post<{ Params: Params }>('/api/workflows/:id/signal', async (req) => {
    const body = req.body as { name?: unknown; data?: unknown } | null
    if (!body || typeof body !== 'object' || typeof body.name !== 'string' || !/^[\w.:-]{1,100}$/.test(body.name)) {
      throw badRequest('Invalid signal.', { name: { code: ErrorCode.required, message: 'A signal name (letters, digits, _ . : -) is required.' } })
    }
    if (!(await app.workflows.get(req.params.id))) throw missing()
    if (!(await app.workflows.signal(req.params.id, body.name, body.data ?? null))) throw badRequest('The workflow has finished.')
    return app.workflows.get(req.params.id)
  })

  f.post<{ Params: Params }>('/api/workflows/:id/cancel', async (req) => {
    if (!(await app.workflows.get(req.params.id))) throw missing()
    if (!(await app.workflows.cancel(req.params.id))) throw badRequest('Only running or waiting workflows can be cancelled.')
    return app.workflows.get(req.params.id)
  })
}
