// File tokens (PocketBase's POST /api/files/token): short-lived, type "file", signed with the collection's fileToken secret.
import type { Clock } from '../core/clock.ts'
import type { AuthInfo } from '../rules/request-info.ts'
import type { AuthService } from './auth-service.ts'
import { signToken } from './tokens.ts'

/** A file token for the authenticated record (default lifetime: the collection's `fileToken.duration`, 180 s). */
export async function issueFileToken(auth: AuthInfo, clock: Clock): Promise<string> {
  const opts = auth.collection.auth!.fileToken
  return signToken(
    { type: 'file', id: String(auth.record.id), collectionId: auth.collection.id },
    { tokenKey: String(auth.record.tokenKey), secret: opts.secret, durationSeconds: opts.duration, now: clock.now() },
  )
}

/**
 * The record a `?token=` file token stands for, or null (missing, malformed, expired, revoked, or an auth
 * token used in its place: only type "file" is accepted, so a leaked file URL never grants API access).
 */
export async function authenticateFileToken(auth: AuthService, token: unknown): Promise<AuthInfo | null> {
  if (typeof token !== 'string' || token === '') return null
  return auth.authenticate(token, ['file'])
}
