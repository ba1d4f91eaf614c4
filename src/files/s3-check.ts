// POST /api/settings/test/s3: writes and deletes a probe object with the saved S3 config of files or backups.
import { randomBytes } from 'node:crypto'
import { badRequest, fieldError } from '../core/errors.ts'
import type { S3Config } from './s3-storage.ts'
import { ErrorCode } from '../core/error-codes.ts'

/** `filesystem` "storage" → `settings.s3`; "backups" → `settings.backups.s3` (when the backups section exists). */
export function s3ConfigFor(settings: object, filesystem: unknown): S3Config | undefined {
  if (filesystem !== 'storage' && filesystem !== 'backups') {
    throw badRequest('Failed to test the S3 filesystem.', { filesystem: fieldError(ErrorCode.inInvalid, 'Must be a valid value ("storage" or "backups").') })
  }
  const s = settings as { s3?: S3Config; backups?: { s3?: S3Config } }
  return filesystem === 'storage' ? s.s3 : s.backups?.s3
}

/** PocketBase's check: the config is enabled, and a small object can be uploaded and deleted. */
export async function checkS3(cfg: S3Config | undefined): Promise<void> {
  if (!cfg?.enabled) throw badRequest('Failed to test the S3 filesystem. Raw error: \nS3 storage filesystem is not enabled.')
  const { S3FileStorage } = await import('./s3-storage.ts')
  const storage = new S3FileStorage(cfg)
  const key = `basalt_settings_test_${randomBytes(6).toString('hex')}.txt`
  try {
    await storage.put(key, Buffer.from('test'))
    await storage.delete(key)
  } catch (e) {
    const err = e as { name?: string; message?: string }
    // The SDK's message names the failure (bucket, credentials, network); it never contains the secret.
    throw badRequest(`Failed to test the S3 filesystem. Raw error: \n${err.name ?? 'Error'}: ${err.message ?? ''}`.trim())
  } finally {
    storage.close()
  }
}
