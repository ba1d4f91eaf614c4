// POST /api/batch: parse the envelope (JSON or multipart with @jsonPayload), run it through BatchService.
import type { FastifyPluginAsync } from 'fastify'
import type { App } from '../../app.ts'
import { BatchService, DEFAULT_MAX_BATCH_BODY, validateBatch } from '../../core/records/batch.ts'
import { readRecordInput } from '../body.ts'
import { requestInfo } from '../context.ts'
import { removeSpooled, spoolDirOf } from '../upload-spool.ts'

export const batchRoutes: FastifyPluginAsync<{ app: App }> = async (f, { app }) => {
  const batch = new BatchService(app)
  f.post('/api/batch', async (req) => {
    const settings = (await app.settings.get()).batch
    // Refuse a disabled batch before reading the body.
    validateBatch({ ...settings, maxRequests: Number.MAX_SAFE_INTEGER }, { requests: [{ method: '', url: '' }] })
    const limit = Math.min(settings.maxBodySize > 0 ? settings.maxBodySize : DEFAULT_MAX_BATCH_BODY, app.config.multipartBodyLimit)
    const input = await readRecordInput(req, { maxBytes: limit, spoolDir: spoolDirOf(app.config.dataDir) })
    try {
      const requests = validateBatch(settings, input.body)
      return await batch.run(requests, input.files, requestInfo(req, 'batch'), settings.timeout * 1000)
    } finally {
      await removeSpooled(input.files.values())
    }
  })
}
