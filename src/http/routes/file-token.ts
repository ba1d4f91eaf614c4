// POST /api/files/token: a short-lived file token for the authenticated record (protected files, backup downloads).
import type { FastifyPluginAsync } from 'fastify'
import type { App } from '../../app.ts'
import { unauthorized } from '../../core/errors.ts'
import { issueFileToken } from '../../auth/file-token.ts'

export const fileTokenRoutes: FastifyPluginAsync<{ app: App }> = async (f, { app }) => {
  f.post('/api/files/token', async (req) => {
    if (!req.auth) throw unauthorized('Missing auth context.')
    return { token: await issueFileToken(req.auth, app.clock) }
  })
}
