// Signing-key derivation for the mailed tokens: binds each token to the record state its flow changes.
import type { AuthOptions, Collection } from '../core/collections/types.ts'
import type { RecordData } from '../rules/request-info.ts'

export type Flow = 'verification' | 'passwordReset' | 'emailChange'

export const TOKEN_CONFIG = {
  verification: 'verificationToken', passwordReset: 'passwordResetToken', emailChange: 'emailChangeToken',
} as const satisfies Record<Flow, keyof AuthOptions>

export const MAIL_TEMPLATE = {
  verification: 'verificationTemplate', passwordReset: 'resetPasswordTemplate', emailChange: 'confirmEmailChangeTemplate',
} as const satisfies Record<Flow, keyof AuthOptions>

/**
 * The `secret` half of a flow token's HMAC key (tokens.ts prepends the record's tokenKey). PocketBase
 * uses the bare collection secret, so its verification tokens stay valid after use; here the key also
 * carries the state the confirm step changes, which makes every token single-use without storing it:
 * - verification: `verified` and `email` — once verified (or the address changed) the key is different;
 * - passwordReset: the password hash — a reset (or any password change) voids all outstanding links,
 *   on top of the tokenKey rotation that comes with it;
 * - emailChange: `email` — once changed, the old token's key is gone (tokenKey rotates as well).
 * NUL separators keep the parts unambiguous (no field value can contain one after JSON round trips
 * of emails, and hashes are PHC strings).
 */
export function flowKey(c: Collection, flow: Flow, record: RecordData): string {
  const secret = c.auth![TOKEN_CONFIG[flow]].secret
  // A missing collection secret must stay missing: tokens.ts refuses to sign or verify with an empty one.
  if (!secret) return ''
  switch (flow) {
    case 'verification': return `${secret}\u0000verified=${record.verified ? 1 : 0}\u0000email=${String(record.email)}`
    case 'passwordReset': return `${secret}\u0000password=${String(record.password)}`
    case 'emailChange': return `${secret}\u0000email=${String(record.email)}`
  }
}
