// Webhook routes (superusers only): replay a logged delivery — POST /api/webhooks/deliveries/{id}/replay.
// Endpoints and the delivery log themselves are records (`_webhooks`, `_webhookDeliveries`): records API.
import type { FastifyPluginAsync } from 'fastify'
import type { App } from '../../app.ts'
import { requireSuperuser } from '../context.ts'

export const webhookRoutes: FastifyPluginAsync<{ app: App }> = async (f, { app }) => {
  f.addHook('preParsing', async (req) => requireSuperuser(req))

  // Answers the delivery job (as GET /api/jobs/{id}): a new one, or the one still pending for that event.
  f.post<{ Params: { id: string } }>('/api/webhooks/deliveries/:id/replay', async (req) => {
    const jobId = await app.webhooks.replay(req.params.id)
    return app.jobs.get(jobId)
  })
}
